import { BadInputError } from '@concierge/kit';
import { AUDIT_RECORDED } from '../audit/audit-record';
import { normalizeEmail } from '../directory/profile';
import { usersEvent } from '../shared/events';
import type { CredentialsDeps } from './deps';

export interface OperatorTokenInput {
  /** The user's id, or else their e-mail address. */
  userId?: string;
  email?: string;
  /** Roles the token carries; each must be one the user holds. Defaults to all they hold. */
  roles?: string[];
}

export type OperatorTokenDeps = Pick<
  CredentialsDeps,
  'users' | 'credentials' | 'logins' | 'contracts' | 'signAccessToken' | 'actor' | 'correlationId'
>;

/**
 * Mints an access token from the command line for a user who exists, is active and holds the roles
 * asked for: the way to a first administrator's token before anyone has signed in. The mint is
 * audited (`access-token.minted`, with its roles and expiry) before the token is handed out.
 */
export async function mintOperatorToken(
  input: OperatorTokenInput,
  deps: OperatorTokenDeps,
): Promise<{ token: string; userId: string; roles: string[]; expiresAt: Date }> {
  const user = input.userId
    ? await deps.users.findById(input.userId)
    : input.email
      ? await deps.logins.findByEmail(normalizeEmail(input.email))
      : null;
  const who = input.userId ?? input.email ?? '';
  if (!user) throw new BadInputError(input.userId ? 'user' : 'email', `no user ${who}`);
  if (user.status !== 'ACTIVE') throw new BadInputError('user', `${who} is ${user.status}, not ACTIVE`);
  const held = (await deps.credentials.findById(user._id))?.globalRoles ?? [];
  const roles = input.roles && input.roles.length > 0 ? [...new Set(input.roles)] : held;
  const missing = roles.filter((r) => !held.includes(r));
  if (missing.length > 0) {
    throw new BadInputError(
      'role',
      `${who} does not hold ${missing.join(', ')} (holds: ${held.join(', ') || 'none'})`,
    );
  }
  const { token, expiresAt } = await deps.signAccessToken({ userId: user._id, roles });
  const audit = usersEvent(deps, AUDIT_RECORDED, user._id, {
    action: 'access-token.minted',
    targetType: 'user',
    targetId: user._id,
    before: null,
    after: { roles, expiresAt: expiresAt.toISOString(), via: 'token command' },
  });
  // In the credential's outbox: the users service publishes it; nothing is handed out unrecorded.
  // A user who never had a password has no credential record yet: it is made bare.
  await deps.credentials.ensure(user._id);
  if (!(await deps.credentials.update(user._id, {}, [audit]))) {
    throw new BadInputError('user', `${who} has no credentials`);
  }
  return { token, userId: user._id, roles, expiresAt };
}
