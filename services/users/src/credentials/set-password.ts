import { BadInputError } from '@concierge/kit';
import type { User } from '../directory/user.repository';
import { usersEvent } from '../shared/events';
import { tokenExpired, tokenInvalid, tokenUsed } from './credential.errors';
import { nowOf, type CredentialsDeps } from './deps';
import { hashOneTimeToken, isWellFormedToken } from './one-time-token';
import { hashPassword } from './password-hash';
import { checkPassword } from './password-policy';

/**
 * Stores a new password hash with credential.password-changed in the same write, clears the
 * lockout, and ends every sign-in the user had (the cutoff covers refreshes racing this write).
 */
export async function writePassword(
  userId: string,
  passwordHash: string,
  method: 'SET_WITH_TOKEN' | 'CHANGE',
  deps: CredentialsDeps,
): Promise<void> {
  const now = nowOf(deps);
  const event = usersEvent(deps, 'credential.password-changed', userId, { userId, method });
  await deps.credentials.ensure(userId);
  await deps.credentials.update(
    userId,
    {
      passwordHash,
      passwordChangedAt: now,
      failedAttempts: 0,
      lockedUntil: null,
      addressLocks: [],
      sessionsRevokedAt: now,
    },
    [event],
  );
  await deps.refreshTokens.revokeAllOf(userId, now);
}

/** checkPassword, reporting a refusal on `field` (the argument's name in the mutation). */
export function checkNewPassword(
  password: string,
  user: Pick<User, 'username' | 'email'>,
  field: string,
): void {
  try {
    checkPassword(password, user);
  } catch (err) {
    if (err instanceof BadInputError && field !== 'password') {
      throw new BadInputError(
        field,
        err.message.replace(/^password/, field),
        err.extensions.reason as string,
      );
    }
    throw err;
  }
}

/**
 * Sets a password with a one-time token: check the token (without using it), check the password
 * against the policy, hash, then claim the token (the single-use step, atomic) and write. A token
 * or policy refusal changes nothing, so the link still works after a refused password.
 */
export async function setPasswordWithToken(
  token: string,
  password: string,
  deps: CredentialsDeps,
): Promise<void> {
  if (typeof token !== 'string' || !isWellFormedToken(token)) throw tokenInvalid();
  const now = nowOf(deps);
  const hash = hashOneTimeToken(token);
  const record = await deps.setPasswordTokens.findById(hash);
  if (!record) throw tokenInvalid();
  const claim = await deps.setPasswordTokens.claimOf(hash);
  if (claim?.outcome === 'USED' || record.usedAt) throw tokenUsed();
  if (claim || record.revokedAt) throw tokenInvalid();
  if (record.expiresAt.getTime() <= now.getTime()) throw tokenExpired();
  const user = await deps.users.findById(record.userId);
  if (!user || user.status !== 'ACTIVE') throw tokenInvalid();

  checkNewPassword(password, user, 'password');
  const passwordHash = await hashPassword(password);

  if (!(await deps.setPasswordTokens.claim(hash, user._id, 'USED', now))) {
    const winner = await deps.setPasswordTokens.claimOf(hash);
    throw winner?.outcome === 'REVOKED' ? tokenInvalid() : tokenUsed();
  }
  // The bearer of the token has proved to be the user.
  await writePassword(user._id, passwordHash, 'SET_WITH_TOKEN', { ...deps, actor: user._id });
  await deps.setPasswordTokens.mark(hash, 'USED', now);
  deps.logger.info({ userId: user._id, purpose: record.purpose }, 'password set with a one-time token');
}
