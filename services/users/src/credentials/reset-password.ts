import { ConflictError, NotFoundError } from '@concierge/kit';
import { usersEvent } from '../shared/events';
import { nowOf, type CredentialsDeps } from './deps';
import { newSetPasswordToken, setPasswordIssuedEvent, storeSetPasswordToken } from './provisioning';

/**
 * An administrator resets a user's password: a new set-password link (purpose ADMIN_RESET) goes
 * out through the notifications service, earlier unused links stop working, every sign-in ends,
 * and the old password stops working at once (a reset usually answers a compromise or a
 * forgotten password; in both cases the old one must not open the account meanwhile).
 */
export async function resetPassword(userId: string, deps: CredentialsDeps): Promise<void> {
  const user = await deps.users.findById(userId);
  if (!user) throw new NotFoundError('User', userId);
  if (user.status !== 'ACTIVE') {
    // The link could not be used (setPassword needs an ACTIVE user); activation issues one anyway.
    throw new ConflictError(`Only an active user's password can be reset; this user is ${user.status}`, {
      field: 'userId',
      reason: `CREDENTIAL.CANNOT_RESET_${user.status}`,
    });
  }
  const now = nowOf(deps);
  const fresh = newSetPasswordToken('ADMIN_RESET', deps.settings.setPasswordTtlMs, now);
  const events = [
    setPasswordIssuedEvent(user, fresh, deps.settings.sealKey, deps),
    usersEvent(deps, 'credential.sessions-revoked', userId, { userId, reason: 'PASSWORD_RESET' }),
  ];
  await storeSetPasswordToken(userId, fresh, deps, now);
  await deps.credentials.ensure(userId);
  await deps.credentials.update(
    userId,
    { passwordHash: null, failedAttempts: 0, lockedUntil: null, addressLocks: [], sessionsRevokedAt: now },
    events,
  );
  await deps.refreshTokens.revokeAllOf(userId, now);
  deps.logger.info({ userId }, 'password reset by an administrator');
}
