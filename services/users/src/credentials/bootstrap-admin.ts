import { ConflictError } from '@concierge/kit';
import type { CredentialStores } from './credential.repository';
import { createUser } from '../directory/create-user';
import { type UsersDeps } from '../directory/deps';
import { usersEvent } from '../shared/events';
import { AUDIT_RECORDED } from '../audit/audit-record';
import { createOrganization } from '../organizations/create-organization';
import { normalizeEmail } from '../directory/profile';
import { newSetPasswordToken, storeSetPasswordToken, type FreshSetPasswordToken } from './provisioning';

/** The organisation a bootstrap administrator is created in when no --org is given. */
export const ADMIN_ORGANIZATION_CODE = 'ADMINISTRATION';

export interface BootstrapAdminInput {
  email: string;
  /** Code of an existing organisation for a new user; defaults to ADMINISTRATION (created if missing). */
  organizationCode?: string;
  displayName?: string;
  /** Issue a new set-password token even when the user has a password (which then stops working). */
  reset?: boolean;
}

export interface BootstrapAdminResult {
  userId: string;
  created: boolean;
  /** The set-password token, in clear, for the operator; null when the user keeps their password. */
  token: FreshSetPasswordToken | null;
}

export type BootstrapDeps = UsersDeps & CredentialStores & { setPasswordTtlMs: number };

async function organizationFor(code: string | undefined, deps: BootstrapDeps): Promise<string> {
  const wanted = (code ?? ADMIN_ORGANIZATION_CODE).trim().toUpperCase();
  const existing = (await deps.orgs.all()).find((o) => o.code === wanted);
  if (existing) return existing._id;
  if (code) throw new Error(`organisation ${wanted} does not exist`);
  try {
    const org = await createOrganization(
      { code: wanted, name: 'Concierge administration', kind: 'BUSINESS_UNIT' },
      deps,
    );
    return org._id;
  } catch (err) {
    // Another bootstrap created it meanwhile.
    if (!(err instanceof ConflictError)) throw err;
    return organizationFor(wanted, deps);
  }
}

/**
 * Creates (or promotes) a global administrator, the way into a fresh installation: the user gets
 * the admin role on their credentials and, unless they have a password already, a set-password
 * token that is handed to the operator instead of being sent (there may be no mail yet).
 */
export async function bootstrapAdmin(
  input: BootstrapAdminInput,
  deps: BootstrapDeps,
): Promise<BootstrapAdminResult> {
  const email = normalizeEmail(input.email);
  let user = await deps.logins.findByEmail(email);
  let created = false;
  if (!user) {
    const organizationId = await organizationFor(input.organizationCode, deps);
    const fresh = await createUser(
      { email, organizationId, displayName: input.displayName ?? 'Administrator' },
      deps,
    );
    user = fresh;
    created = true;
  }
  if (user.status !== 'ACTIVE') {
    throw new Error(`${email} is ${user.status}; activate the user first`);
  }
  await deps.credentials.ensure(user._id);
  const credential = await deps.credentials.findById(user._id);
  const roles = credential?.globalRoles ?? [];
  if (!roles.includes('admin')) {
    const globalRoles = [...roles, 'admin'];
    // The grant and its audit record are one write: no administrator appears unrecorded.
    const granted = usersEvent(deps, AUDIT_RECORDED, user._id, {
      action: 'user.role-granted',
      targetType: 'user',
      targetId: user._id,
      before: { globalRoles: roles },
      after: { globalRoles },
    });
    await deps.credentials.update(user._id, { globalRoles }, [granted]);
  }
  if (credential?.passwordHash && !input.reset) return { userId: user._id, created, token: null };

  const now = deps.now ?? new Date();
  const fresh = newSetPasswordToken(
    credential?.passwordHash ? 'ADMIN_RESET' : 'ACTIVATION',
    deps.setPasswordTtlMs,
    now,
  );
  await storeSetPasswordToken(user._id, fresh, deps, now);
  if (credential?.passwordHash) {
    const event = usersEvent(deps, 'credential.sessions-revoked', user._id, {
      userId: user._id,
      reason: 'PASSWORD_RESET',
    });
    await deps.credentials.update(
      user._id,
      { passwordHash: null, failedAttempts: 0, lockedUntil: null, sessionsRevokedAt: now },
      [event],
    );
    await deps.refreshTokens.revokeAllOf(user._id, now);
  }
  return { userId: user._id, created, token: fresh };
}
