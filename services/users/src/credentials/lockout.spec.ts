import { afterFailure, afterSuccess, DEFAULT_LOCKOUT_POLICY, isLocked, type LockoutState } from './lockout';

const policy = { maxAttempts: 5, lockMs: 15 * 60_000 };
const t0 = new Date('2027-01-04T08:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function failTimes(n: number, state: LockoutState = afterSuccess(), now = t0): LockoutState {
  for (let i = 0; i < n; i++) state = afterFailure(state, now, policy);
  return state;
}

describe('login lockout', () => {
  it('defaults to 5 attempts and a 15-minute lock', () => {
    expect(DEFAULT_LOCKOUT_POLICY).toEqual(policy);
  });

  it('stays unlocked after 4 failures', () => {
    const state = failTimes(4);
    expect(state).toEqual({ failedAttempts: 4, lockedUntil: null });
    expect(isLocked(state, t0)).toBe(false);
  });

  it('locks for 15 minutes on the 5th failure and resets the counter', () => {
    const state = failTimes(5);
    expect(state).toEqual({ failedAttempts: 0, lockedUntil: at(15 * 60_000) });
    expect(isLocked(state, t0)).toBe(true);
  });

  it('stays locked until the lock expires', () => {
    const state = failTimes(5);
    expect(isLocked(state, at(15 * 60_000 - 1))).toBe(true);
    expect(isLocked(state, at(15 * 60_000))).toBe(false);
  });

  it('does not extend a lock for failures reported while locked', () => {
    const locked = failTimes(5);
    expect(afterFailure(locked, at(60_000), policy)).toEqual(locked);
  });

  it('starts the count over after the lock expires', () => {
    const afterLock = at(15 * 60_000);
    const state = failTimes(1, failTimes(5), afterLock);
    expect(state).toEqual({ failedAttempts: 1, lockedUntil: null });
    expect(failTimes(4, failTimes(5), afterLock)).toEqual({ failedAttempts: 4, lockedUntil: null });
    expect(isLocked(failTimes(5, failTimes(5), afterLock), afterLock)).toBe(true);
  });

  it('clears failures after a success', () => {
    expect(afterSuccess()).toEqual({ failedAttempts: 0, lockedUntil: null });
    expect(failTimes(4, afterSuccess())).toEqual({ failedAttempts: 4, lockedUntil: null });
  });

  it('does not change the state it is given', () => {
    const state = failTimes(4);
    afterFailure(state, t0, policy);
    expect(state).toEqual({ failedAttempts: 4, lockedUntil: null });
  });
});
