import { createLogger, EventContracts, type EventEnvelope } from '@concierge/kit';
import type { CredentialsDeps } from './deps';
import { addressKey, type LockoutState } from './lockout';
import { recordFailure } from './sign-in';

/** Just enough of the deps for recordFailure; the credential store keeps what it is given. */
function depsWith(correlationId: string) {
  const saved: { state: LockoutState; events: EventEnvelope[] }[] = [];
  const deps = {
    contracts: new EventContracts(),
    settings: { lockout: { maxAttempts: 5, lockMs: 60_000 } },
    logger: createLogger('test', 'silent'),
    actor: 'anonymous',
    correlationId,
    now: new Date('2026-12-03T10:00:00Z'),
    credentials: {
      update: async (_id: string, state: LockoutState, events: EventEnvelope[] = []) => {
        saved.push({ state, events });
      },
    },
  } as unknown as CredentialsDeps;
  return { deps, saved };
}

describe('recordFailure', () => {
  // Four wrong passwords from the caller's address (none given: the shared "unknown" address).
  const fourth: LockoutState = {
    failedAttempts: 4,
    lockedUntil: null,
    windowStartedAt: new Date('2026-12-03T09:59:00Z'),
    addressLocks: [{ k: addressKey(undefined), failures: 4, lockedUntil: null }],
  };

  it('locks on the failure that reaches the limit and publishes credential.locked', async () => {
    const { deps, saved } = depsWith('0b6c3f0e-6a4e-4b8e-9d53-2f1f5c1e7a10');
    await recordFailure('user-1', fourth, deps);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.state.addressLocks?.[0]?.lockedUntil).toEqual(new Date('2026-12-03T10:01:00Z'));
    expect(saved[0]!.events.map((e) => e.type)).toEqual(['credential.locked']);
  });

  it('stores the lock even when the event contract refuses the event (here: an empty correlation id)', async () => {
    const { deps, saved } = depsWith('');
    await recordFailure('user-1', fourth, deps);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.state.addressLocks?.[0]).toEqual({
      k: addressKey(undefined),
      failures: 0,
      lockedUntil: new Date('2026-12-03T10:01:00Z'),
    });
    expect(saved[0]!.events).toEqual([]);
  });
});
