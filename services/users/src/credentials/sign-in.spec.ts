import { createLogger, DomainError, EventContracts, type EventEnvelope } from '@concierge/kit';
import type { Credential, LoginUser } from './credential.repository';
import type { CredentialsDeps } from './deps';
import { addressKey, type LockoutState } from './lockout';
import { hashPassword } from './password-hash';
import { recordFailure, signIn } from './sign-in';

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

describe('signIn', () => {
  const PASSWORD = 'Right passphrase 2026';
  const now = new Date('2026-12-03T10:00:00Z');
  let passwordHash: string;
  beforeAll(async () => {
    passwordHash = await hashPassword(PASSWORD);
  });

  const user = (id: string, status = 'ACTIVE'): LoginUser =>
    ({ _id: id, username: id, email: `${id}@example.org`, displayName: id, status }) as LoginUser;
  const credential = (id: string, change: Partial<Credential> = {}): Credential =>
    ({
      _id: id,
      passwordHash,
      failedAttempts: 0,
      lockedUntil: null,
      windowStartedAt: null,
      addressLocks: [],
      knownAddresses: [],
      globalRoles: [],
      ...change,
    }) as Credential;

  /** Users and credentials in memory, with every credential read and write recorded. */
  function depsWith(users: LoginUser[], credentials: Credential[]) {
    const stored = new Map(credentials.map((c) => [c._id, c]));
    const reads: string[] = [];
    const writes: { id: string; events: EventEnvelope[] }[] = [];
    const created: string[] = [];
    const deps = {
      contracts: new EventContracts(),
      settings: { lockout: { maxAttempts: 5, lockMs: 60_000 }, refreshTokenTtlMs: 60_000 },
      logger: createLogger('test', 'silent'),
      actor: 'anonymous',
      correlationId: '0b6c3f0e-6a4e-4b8e-9d53-2f1f5c1e7a10',
      clientAddress: '203.0.113.7',
      now,
      logins: {
        findByLogin: async (login: string) =>
          users.find((u) => u.username === login || u.email === login) ?? null,
      },
      credentials: {
        findById: async (id: string) => {
          reads.push(id);
          return stored.get(id) ?? null;
        },
        update: async (id: string, change: Partial<Credential>, events: EventEnvelope[] = []) => {
          writes.push({ id, events });
          const current = stored.get(id);
          if (current) stored.set(id, { ...current, ...change });
          return !!current;
        },
        ensure: async (id: string) => {
          created.push(id);
          if (!stored.has(id)) stored.set(id, credential(id, { passwordHash: null }));
        },
      },
      refreshTokens: { insertFirst: async () => undefined },
      signAccessToken: async () => ({ token: 'access', expiresAt: now }),
    } as unknown as CredentialsDeps;
    return { deps, reads, writes, created };
  }

  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => 'signed in',
      (err: unknown) =>
        err instanceof DomainError ? `${String(err.extensions.code)}: ${err.message}` : String(err),
    );
  const locked = {
    addressLocks: [
      { k: addressKey('203.0.113.7'), failures: 0, lockedUntil: new Date(now.getTime() + 60_000) },
    ],
  };

  it('reads one credential and writes one for every refusal, known login or not, and answers alike', async () => {
    const cases: [login: string, password: string, label: string][] = [
      ['nobody@example.org', 'Wrong passphrase', 'unknown login'],
      ['alice', 'x'.repeat(10_000), 'oversized password'],
      ['pending', 'Wrong passphrase', 'no credential'],
      ['reset', 'Wrong passphrase', 'no password'],
      ['locked', PASSWORD, 'locked out'],
      ['suspended', PASSWORD, 'suspended user'],
      ['alice', 'Wrong passphrase', 'wrong password'],
    ];
    const answers = new Set<string>();
    for (const [login, password, label] of cases) {
      const { deps, reads, writes } = depsWith(
        [user('alice'), user('pending'), user('reset'), user('locked'), user('suspended', 'SUSPENDED')],
        [
          credential('alice'),
          credential('reset', { passwordHash: null }),
          credential('locked', locked),
          credential('suspended'),
        ],
      );
      answers.add(await refusal(signIn(login, password, deps)));
      expect({ label, reads: reads.length, writes: writes.length }).toEqual({ label, reads: 1, writes: 1 });
    }
    expect([...answers]).toHaveLength(1);
    expect([...answers][0]).toMatch(/^UNAUTHENTICATED: /);
  });

  it('counts a wrong password on the account; other refusals write a decoy that no user has, without events', async () => {
    const known = depsWith([user('alice')], [credential('alice')]);
    await refusal(signIn('alice', 'Wrong passphrase', known.deps));
    expect(known.writes.map((w) => w.id)).toEqual(['alice']);

    const lockedOut = depsWith([user('alice')], [credential('alice', locked)]);
    await refusal(signIn('alice', PASSWORD, lockedOut.deps));
    expect(lockedOut.writes).toEqual([{ id: expect.stringMatching(/^sign-in-decoy:\d+$/), events: [] }]);

    const unknown = depsWith([], []);
    await refusal(signIn('nobody@example.org', 'Wrong passphrase', unknown.deps));
    const decoy = unknown.reads[0];
    expect(decoy).toMatch(/^sign-in-decoy:\d+$/);
    // Created on first use, then written as it was read.
    expect(unknown.created).toEqual([decoy]);
    await refusal(signIn('nobody@example.org', 'Wrong passphrase', unknown.deps));
    expect(unknown.reads).toEqual([decoy, decoy]);
    expect(unknown.writes).toEqual([
      { id: decoy, events: [] },
      { id: decoy, events: [] },
    ]);
    expect(unknown.created).toEqual([decoy]);
  });

  it('signs in with the right password and writes nothing when the address is already known and clean', async () => {
    const { deps, reads, writes } = depsWith(
      [user('alice')],
      [credential('alice', { knownAddresses: [addressKey('203.0.113.7')] })],
    );
    await expect(signIn('alice@example.org', PASSWORD, deps)).resolves.toMatchObject({
      accessToken: 'access',
    });
    expect(reads).toEqual(['alice']);
    expect(writes).toEqual([]);
  });
});
