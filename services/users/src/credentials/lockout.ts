import { createHash } from 'node:crypto';

/** Wrong passwords tried on one account from one address, and the lock they led to. */
export interface AddressLock {
  /** addressKey of the client address */
  k: string;
  failures: number;
  lockedUntil: Date | null;
}

/**
 * An account's throttling state. Wrong passwords lock the address they came from, not the
 * account; only many failures from many addresses guard the account, and then only against
 * addresses that never signed in to it (OWASP Authentication Cheat Sheet: throttling, not a
 * lockout a stranger can trigger).
 */
export interface LockoutState {
  /** Wrong passwords on this account, from every address, in the current window. */
  failedAttempts: number;
  /** While in the future, addresses not in knownAddresses are refused (a distributed attack). */
  lockedUntil: Date | null;
  /** Start of the window failedAttempts counts in. */
  windowStartedAt?: Date | null;
  addressLocks?: AddressLock[];
  /** Keys of the addresses the user last signed in from, newest first. */
  knownAddresses?: string[];
}

export interface LockoutPolicy {
  /** The failure from one address that reaches this count locks that address out of the account. */
  maxAttempts: number;
  lockMs: number;
  /** Failures from all addresses within lockMs that guard the account against unknown addresses. */
  accountMaxAttempts?: number;
}

/** Five attempts per address, then fifteen minutes; fifty from everywhere guard the account. */
export const DEFAULT_LOCKOUT_POLICY: Readonly<LockoutPolicy> = Object.freeze({
  maxAttempts: 5,
  lockMs: 15 * 60_000,
  accountMaxAttempts: 50,
});

/** Addresses remembered per account: the locks of the busiest attackers, and the user's own. */
const MAX_ADDRESS_LOCKS = 50;
const MAX_KNOWN_ADDRESSES = 5;

/**
 * The key an address is remembered by: a digest, so the credential record keeps no address.
 * A call without one (a direct call in a test, a command) counts as one shared address.
 */
export function addressKey(address: string | null | undefined): string {
  return createHash('sha256')
    .update(address ?? 'unknown')
    .digest('base64url')
    .slice(0, 16);
}

const inFuture = (date: Date | null | undefined, now: Date) => !!date && date.getTime() > now.getTime();

/** The lock in force for an address, if any: its own, or the account's guard for a stranger. */
export function lockFor(state: LockoutState, now: Date, address: string): Date | null {
  const own = state.addressLocks?.find((l) => l.k === address)?.lockedUntil ?? null;
  if (inFuture(own, now)) return own;
  if (inFuture(state.lockedUntil, now) && !(state.knownAddresses ?? []).includes(address))
    return state.lockedUntil;
  return null;
}

/** True while a lock is in force for this address. */
export function isLocked(state: LockoutState, now: Date, address: string): boolean {
  return lockFor(state, now, address) !== null;
}

/** The state after a wrong password from an address; `locked` names what the failure locked. */
export function afterFailure(
  state: LockoutState,
  now: Date,
  policy: LockoutPolicy,
  address: string,
): { state: LockoutState; locked: 'ADDRESS' | 'ACCOUNT' | null; lockedUntil: Date | null } {
  // Callers refuse locked addresses before checking passwords; a failure reported anyway does not
  // extend the lock, so it still ends when the user was told it would.
  if (isLocked(state, now, address)) return { state: { ...state }, locked: null, lockedUntil: null };
  const until = new Date(now.getTime() + policy.lockMs);
  let locked: 'ADDRESS' | 'ACCOUNT' | null = null;

  const previous = state.addressLocks?.find((l) => l.k === address);
  const failures = (previous && !previous.lockedUntil ? previous.failures : 0) + 1;
  const mine: AddressLock =
    failures >= policy.maxAttempts
      ? { k: address, failures: 0, lockedUntil: until }
      : { k: address, failures, lockedUntil: null };
  if (mine.lockedUntil) locked = 'ADDRESS';
  // The newest first; expired locks and the oldest entries make room.
  const others = (state.addressLocks ?? []).filter(
    (l) => l.k !== address && (l.lockedUntil === null || inFuture(l.lockedUntil, now)),
  );
  const addressLocks = [mine, ...others].slice(0, MAX_ADDRESS_LOCKS);

  const windowOpen =
    !!state.windowStartedAt && now.getTime() - state.windowStartedAt.getTime() < policy.lockMs;
  const accountFailures = (windowOpen ? state.failedAttempts : 0) + 1;
  const accountMax = policy.accountMaxAttempts ?? DEFAULT_LOCKOUT_POLICY.accountMaxAttempts!;
  const guard = accountFailures >= accountMax;
  if (guard) locked = 'ACCOUNT';
  return {
    state: {
      failedAttempts: guard ? 0 : accountFailures,
      windowStartedAt: guard ? null : windowOpen ? (state.windowStartedAt as Date) : now,
      lockedUntil: guard
        ? until
        : state.lockedUntil && inFuture(state.lockedUntil, now)
          ? state.lockedUntil
          : null,
      addressLocks,
      knownAddresses: state.knownAddresses ?? [],
    },
    locked,
    lockedUntil: locked ? until : null,
  };
}

/**
 * The state after a successful sign-in from an address: that address's failures are forgiven and
 * it becomes known; a guard against strangers stays until it ends.
 */
export function afterSuccess(state: LockoutState, now: Date, address: string): LockoutState {
  return {
    failedAttempts: 0,
    windowStartedAt: null,
    lockedUntil: inFuture(state.lockedUntil, now) ? state.lockedUntil : null,
    addressLocks: (state.addressLocks ?? []).filter((l) => l.k !== address),
    knownAddresses: [address, ...(state.knownAddresses ?? []).filter((k) => k !== address)].slice(
      0,
      MAX_KNOWN_ADDRESSES,
    ),
  };
}

/** True when a success would change nothing (no failures, locks or new address to record). */
export function isClean(state: LockoutState, address: string): boolean {
  return (
    state.failedAttempts === 0 &&
    !state.lockedUntil &&
    (state.addressLocks ?? []).length === 0 &&
    (state.knownAddresses ?? [])[0] === address
  );
}
