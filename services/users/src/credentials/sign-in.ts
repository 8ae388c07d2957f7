import { createHmac, randomBytes } from 'node:crypto';
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

/** Stand-in credentials, created on first use, that refusals write where no failure is counted. */
const DECOYS = 64;
// This process's own key: nobody can pick logins that share a decoy.
const DECOY_KEY = randomBytes(32);

/** The lock an unknown login's checks queue on (as a user's do on theirs) and the decoy it reads. */
function decoyFor(login: string): { lockKey: string; credentialId: string } {
  const digest = createHmac('sha256', DECOY_KEY).update(login).digest();
  return {
    lockKey: `decoy:${digest.toString('base64url')}`,
    credentialId: `sign-in-decoy:${digest.readUInt32BE(0) % DECOYS}`,
  };
}

/**
 * One credential write on a decoy (no user, no events), of the size the failure count writes on
 * an account that is not under attack: a first wrong password from the caller's address. (On
 * FerretDB a record's read and write cost grows with its size, by ~0.1 ms per address lock.)
 */
async function writeDecoy(credentialId: string, deps: CredentialsDeps): Promise<void> {
  const fresh: LockoutState = { failedAttempts: 0, lockedUntil: null };
  const { state } = afterFailure(fresh, nowOf(deps), deps.settings.lockout, callerAddress(deps));
  if (!(await deps.credentials.update(credentialId, state))) await deps.credentials.ensure(credentialId);
}

/**
 * Signs a user in by username or e-mail and password. Every refusal is the same UNAUTHENTICATED
 * answer and costs the same work, whether the account exists or not (OWASP Authentication Cheat
 * Sheet, "Authentication and Error Messages"): the login lookups, one credential read (a decoy's
 * for an unknown login), one password verification (against a dummy hash where there is no
 * password to check) and one credential write (the failure count, or else a decoy's).
 */
export async function signIn(login: string, password: string, deps: CredentialsDeps): Promise<Session> {
  const name = typeof login === 'string' ? normalizeLogin(login) : '';
  const found = name === '' || name.length > MAX_LOGIN_LENGTH ? null : await deps.logins.findByLogin(name);
  // Each code point takes at most two UTF-16 units: longer input cannot be a valid password.
  const user = found && password.length <= MAX_PASSWORD_LENGTH * 2 ? found : null;
  const decoy = decoyFor(name);
  return withPasswordCheckLock(user?._id ?? decoy.lockKey, async () => {
    const credential = await deps.credentials.findById(user?._id ?? decoy.credentialId);
    if (!user) {
      await verifyAgainstDummy(password.slice(0, MAX_PASSWORD_LENGTH * 2));
      await writeDecoy(decoy.credentialId, deps);
      // The login text is not logged: people type passwords into the login field.
      deps.logger.info({ userId: found?._id ?? null }, 'sign-in refused: unknown login or oversized input');
      throw signInFailed();
    }
    const now = nowOf(deps);
    // Why a sign-in was refused goes to the log only; the caller gets one answer for all. A
    // refusal that counts no failure writes a decoy, as counting one writes the credential.
    const refuse = async (cause: string, counted = false) => {
      if (!counted) await writeDecoy(decoy.credentialId, deps);
      deps.logger.info({ userId: user._id, cause }, 'sign-in refused');
      return signInFailed();
    };
    const address = callerAddress(deps);
    if (!credential?.passwordHash || isLocked(credential, now, address)) {
      await verifyAgainstDummy(password);
      throw await refuse(credential?.passwordHash ? 'LOCKED' : 'NO_PASSWORD');
    }
    if (!(await verifyPassword(credential.passwordHash, password))) {
      await recordFailure(user._id, credential, deps);
      throw await refuse('WRONG_PASSWORD', true);
    }
    if (user.status !== 'ACTIVE') throw await refuse(`USER_${user.status}`);
    if (!isClean(credential, address)) {
      await deps.credentials.update(user._id, afterSuccess(credential, now, address));
    }
    deps.logger.info({ userId: user._id }, 'signed in');
    return openSession(user._id, credential.globalRoles, deps);
  });
}
