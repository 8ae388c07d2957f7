import { documentKey, withDocumentLocks, type EventEnvelope } from '@concierge/kit';
import { normalizeLogin } from '../directory/profile';
import { usersEvent } from '../shared/events';
import { signInFailed } from './credential.errors';
import { nowOf, type CredentialsDeps } from './deps';
import { addressKey, afterFailure, afterSuccess, isClean, isLocked, type LockoutState } from './lockout';
import { verifyAgainstDummy, verifyPassword } from './password-hash';
import { MAX_PASSWORD_LENGTH } from './password-policy';
import { openSession, type Session } from './sessions';

// Longer than any e-mail address (RFC 5321) or username; longer input is no login.
const MAX_LOGIN_LENGTH = 254;

/**
 * Serialises one user's password checks within this process, so parallel guesses cannot slip past
 * the failure count (FerretDB applies concurrent updates of one document last-writer-wins).
 */
export function withPasswordCheckLock<T>(userId: string, work: () => Promise<T>): Promise<T> {
  return withDocumentLocks([documentKey('password-check', userId)], work);
}

/** The key the caller's address is throttled by (lockout.ts). */
export const callerAddress = (deps: CredentialsDeps): string => addressKey(deps.clientAddress);

/**
 * Counts a wrong password from the caller's address; the failure that reaches a limit locks that
 * address out of the account (or guards the account against strangers) and publishes
 * credential.locked.
 */
export async function recordFailure(
  userId: string,
  state: LockoutState,
  deps: CredentialsDeps,
): Promise<void> {
  const now = nowOf(deps);
  const {
    state: next,
    locked,
    lockedUntil,
  } = afterFailure(state, now, deps.settings.lockout, callerAddress(deps));
  const lockedNow = locked !== null;
  let events: EventEnvelope[] = [];
  try {
    if (lockedNow)
      events = [
        usersEvent(deps, 'credential.locked', userId, {
          userId,
          lockedUntil: (lockedUntil as Date).toISOString(),
        }),
      ];
  } catch (err) {
    // The count and the lock are what stop guessing: an event its contract refuses never skips them.
    deps.logger.error({ err, userId }, 'credential.locked event refused; the lock is stored without it');
  }
  await deps.credentials.update(userId, next, events);
  if (lockedNow)
    deps.logger.info(
      { userId, lockedUntil, scope: locked },
      locked === 'ADDRESS'
        ? 'address locked out of the account after failed sign-ins'
        : 'account guarded against unknown addresses after failed sign-ins from many',
    );
}

/**
 * Signs a user in by username or e-mail and password. Every refusal is the same UNAUTHENTICATED
 * answer and costs one password verification, whether the account exists or not
 * (OWASP Authentication Cheat Sheet, "Authentication and Error Messages").
 */
export async function signIn(login: string, password: string, deps: CredentialsDeps): Promise<Session> {
  const name = typeof login === 'string' ? normalizeLogin(login) : '';
  const user = name === '' || name.length > MAX_LOGIN_LENGTH ? null : await deps.logins.findByLogin(name);
  // Each code point takes at most two UTF-16 units: longer input cannot be a valid password.
  if (!user || password.length > MAX_PASSWORD_LENGTH * 2) {
    await verifyAgainstDummy(password.slice(0, MAX_PASSWORD_LENGTH * 2));
    // The login text is not logged: people type passwords into the login field.
    deps.logger.info({ userId: user?._id ?? null }, 'sign-in refused: unknown login or oversized input');
    throw signInFailed();
  }
  return withPasswordCheckLock(user._id, async () => {
    const credential = await deps.credentials.findById(user._id);
    const now = nowOf(deps);
    // Why a sign-in was refused goes to the log only; the caller gets one answer for all.
    const refuse = (cause: string) => {
      deps.logger.info({ userId: user._id, cause }, 'sign-in refused');
      return signInFailed();
    };
    const address = callerAddress(deps);
    if (!credential?.passwordHash || isLocked(credential, now, address)) {
      await verifyAgainstDummy(password);
      throw refuse(credential?.passwordHash ? 'LOCKED' : 'NO_PASSWORD');
    }
    if (!(await verifyPassword(credential.passwordHash, password))) {
      await recordFailure(user._id, credential, deps);
      throw refuse('WRONG_PASSWORD');
    }
    if (user.status !== 'ACTIVE') throw refuse(`USER_${user.status}`);
    if (!isClean(credential, address)) {
      await deps.credentials.update(user._id, afterSuccess(credential, now, address));
    }
    deps.logger.info({ userId: user._id }, 'signed in');
    return openSession(user._id, credential.globalRoles, deps);
  });
}
