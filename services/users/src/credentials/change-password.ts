import { BadInputError, UnauthenticatedError } from '@concierge/kit';
import { nowOf, type CredentialsDeps } from './deps';
import { lockFor } from './lockout';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hash';
import { checkNewPassword, writePassword } from './set-password';
import { callerAddress, recordFailure, withPasswordCheckLock } from './sign-in';
import { CREDENTIAL_ERRORS, PASSWORD_ERRORS } from './credential.errors';

/**
 * The signed-in user changes their password, proving the current one. A wrong current password
 * counts toward the lockout like a failed sign-in (a stolen access token must not become a
 * password oracle). Every sign-in of the user ends, this one included.
 */
export async function changePassword(
  userId: string,
  currentPassword: string,
  newPassword: string,
  deps: CredentialsDeps,
): Promise<void> {
  const user = await deps.users.findById(userId);
  if (!user || user.status !== 'ACTIVE') throw new UnauthenticatedError('Sign in again');
  checkNewPassword(newPassword, user, 'newPassword');
  await withPasswordCheckLock(userId, async () => {
    const credential = await deps.credentials.findById(userId);
    const now = nowOf(deps);
    const lockedUntil = credential ? lockFor(credential, now, callerAddress(deps)) : null;
    if (lockedUntil) {
      throw new BadInputError(
        'currentPassword',
        `Too many wrong passwords; try again after ${lockedUntil.toISOString()}`,
        CREDENTIAL_ERRORS.LOCKED,
      );
    }
    const matches = credential?.passwordHash
      ? await verifyPassword(credential.passwordHash, currentPassword)
      : await verifyAgainstDummy(currentPassword);
    if (!matches) {
      if (credential?.passwordHash) await recordFailure(userId, credential, deps);
      throw new BadInputError(
        'currentPassword',
        'currentPassword is not your current password',
        CREDENTIAL_ERRORS.WRONG_PASSWORD,
      );
    }
    if (newPassword === currentPassword) {
      throw new BadInputError(
        'newPassword',
        'newPassword must differ from the current password',
        PASSWORD_ERRORS.UNCHANGED,
      );
    }
    await writePassword(userId, await hashPassword(newPassword), 'CHANGE', deps);
  });
  deps.logger.info({ userId }, 'password changed');
}
