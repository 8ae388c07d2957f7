/** Failed sign-in attempts since the last success or lock, and the end of the current lock. */
export interface LockoutState {
  failedAttempts: number;
  lockedUntil: Date | null;
}

export interface LockoutPolicy {
  /** The failure that reaches this count locks the account. */
  maxAttempts: number;
  lockMs: number;
}

/** Five attempts, then fifteen minutes. */
export const DEFAULT_LOCKOUT_POLICY: Readonly<LockoutPolicy> = Object.freeze({
  maxAttempts: 5,
  lockMs: 15 * 60_000,
});

const FRESH: Readonly<LockoutState> = Object.freeze({ failedAttempts: 0, lockedUntil: null });

/** True while a lock is in force. */
export function isLocked(state: LockoutState, now: Date): boolean {
  return state.lockedUntil !== null && state.lockedUntil.getTime() > now.getTime();
}

/** The state after a failed attempt. */
export function afterFailure(state: LockoutState, now: Date, policy: LockoutPolicy): LockoutState {
  // Callers refuse locked accounts before checking passwords; a failure reported anyway does not extend
  // the lock, so it still ends when the user was told it would.
  if (isLocked(state, now)) return { ...state };
  const failedAttempts = (state.lockedUntil === null ? state.failedAttempts : 0) + 1;
  if (failedAttempts >= policy.maxAttempts) {
    return { failedAttempts: 0, lockedUntil: new Date(now.getTime() + policy.lockMs) };
  }
  return { failedAttempts, lockedUntil: null };
}

/** The state after a successful sign-in. */
export function afterSuccess(): LockoutState {
  return { ...FRESH };
}
