import {
  addressKey,
  afterFailure,
  afterSuccess,
  isLocked,
  lockFor,
  type LockoutPolicy,
  type LockoutState,
} from './lockout';

const policy: LockoutPolicy = { maxAttempts: 5, lockMs: 15 * 60_000, accountMaxAttempts: 20 };
const FRESH: LockoutState = { failedAttempts: 0, lockedUntil: null };
const t0 = new Date('2026-12-03T10:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const attacker = addressKey('198.51.100.7');
const user = addressKey('203.0.113.20');

function fail(state: LockoutState, address: string, times: number, start = 0): LockoutState {
  let s = state;
  for (let i = 0; i < times; i++) s = afterFailure(s, at(start + i), policy, address).state;
  return s;
}

describe('throttling wrong passwords', () => {
  it('locks the address that reached the limit, and only that address', () => {
    const four = fail(FRESH, attacker, 4);
    expect(isLocked(four, at(5), attacker)).toBe(false);
    const fifth = afterFailure(four, at(5), policy, attacker);
    expect(fifth.locked).toBe('ADDRESS');
    expect(fifth.lockedUntil).toEqual(at(5 + 900));
    expect(isLocked(fifth.state, at(6), attacker)).toBe(true);
    // The real user, from their own address, is not locked out by a stranger's guesses.
    expect(isLocked(fifth.state, at(6), user)).toBe(false);
    expect(isLocked(fifth.state, at(5 + 901), attacker)).toBe(false);
  });

  it('does not extend a lock with failures reported while it holds', () => {
    const locked = fail(FRESH, attacker, 5);
    const again = afterFailure(locked, at(100), policy, attacker);
    expect(again.locked).toBeNull();
    expect(lockFor(again.state, at(100), attacker)).toEqual(at(4 + 900));
  });

  it('when many addresses guess, guards the account against addresses that never signed in, not against the user', () => {
    const knowsUser = afterSuccess(FRESH, t0, user);
    // Twenty addresses, one guess each: no address reaches its own limit.
    let burst = knowsUser;
    let guardedAt: string | null = null;
    for (let i = 0; i < 20; i++) {
      const address = addressKey(`203.0.113.${100 + i}`);
      const r = afterFailure(burst, at(i), policy, address);
      burst = r.state;
      if (r.locked === 'ACCOUNT') guardedAt = address;
    }
    expect(guardedAt).not.toBeNull();
    expect(isLocked(burst, at(30), addressKey('192.0.2.99'))).toBe(true); // a stranger
    expect(isLocked(burst, at(30), user)).toBe(false); // the user's known address
    expect(isLocked(burst, at(19 + 901), addressKey('192.0.2.99'))).toBe(false); // the guard ends
  });

  it('forgives the address that signs in, remembers it, and keeps a guard in force', () => {
    const s = fail(FRESH, user, 3);
    const ok = afterSuccess(s, at(10), user);
    expect(ok.addressLocks).toEqual([]);
    expect(ok.knownAddresses).toEqual([user]);
    expect(ok.failedAttempts).toBe(0);
    const guarded = { ...ok, lockedUntil: at(500) };
    expect(afterSuccess(guarded, at(20), user).lockedUntil).toEqual(at(500));
  });

  it('keeps no address in clear', () => {
    expect(addressKey('198.51.100.7')).not.toContain('198');
    expect(addressKey('198.51.100.7')).toHaveLength(16);
    expect(addressKey(null)).toBe(addressKey(undefined));
  });
});
