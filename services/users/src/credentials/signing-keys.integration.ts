import { randomBytes, randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import type { Connection } from 'mongoose';
import { connectMongo, openSealed, type RunningService } from '@concierge/kit';
import {
  dropDatabases,
  eventually,
  MONGO_BASE,
  SEAL_KEY,
  startAtEnd,
  usersConfig,
} from '../../../../test/testkit';
import { startServer } from '../server';
import { SigningKeyRepository, type SigningKeyRecord } from './signing-key.repository';
import {
  issueAccessToken,
  KEY_ACTIVATION_LEAD_MS,
  KEY_CACHE_REFRESH_MS,
  RETIRED_KEY_PUBLISHED_MS,
  SigningKeys,
  TOKEN_AUDIENCE,
} from './signing-keys';
import { capturedLines } from '../../../../test/testkit/pino-capture';

// Every line any logger of this file writes, to prove that no private key reaches a log.
jest.mock('pino', () =>
  jest
    .requireActual<typeof import('../../../../test/testkit/pino-capture')>(
      '../../../../test/testkit/pino-capture',
    )
    .capturingPino(),
);
const logLines = capturedLines;

const ISSUER = 'concierge-users';
const DAY = 86_400_000;

/** A clock the test moves; the keys read it for every decision. */
function testClock(start = Date.now()) {
  let t = start;
  return {
    now: () => new Date(t),
    set: (ms: number) => (t = ms),
    advance: (ms: number) => (t += ms),
    ms: () => t,
  };
}

/** Resolves for everyone once `n` callers wait on it. */
function barrier(n: number): () => Promise<void> {
  let waiting = 0;
  let release = () => {};
  const open = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++waiting >= n) release();
    return open;
  };
}

/** Holds each claim until the other replicas have read the set too, so that their inserts race. */
class RacingRepository extends SigningKeyRepository {
  constructor(
    db: Connection,
    private readonly beforeClaim: () => Promise<void>,
  ) {
    super(db);
  }

  override async claim(record: SigningKeyRecord): Promise<boolean> {
    await this.beforeClaim();
    return super.claim(record);
  }
}

interface RawKey {
  _id: string;
  kid?: string;
  generation?: number;
  privateJwk?: JWK;
  publicJwk: JWK;
  sealedPrivateJwk?: string;
  retiredAt?: Date;
}

const verify = (token: string, jwks: JSONWebKeySet) =>
  jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: TOKEN_AUDIENCE });
const sign = (keys: SigningKeys, userId = 'u-1') =>
  issueAccessToken(keys, { userId, roles: [] }, { issuer: ISSUER, ttlS: 300 });
const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as { kid: string })
    .kid;
const kidsOf = (jwks: { keys: JWK[] }) => jwks.keys.map((k) => k.kid);
/** The private scalar of a stored key, opened as the service would, to look for it elsewhere. */
const privateScalar = (doc: RawKey, sealKey = SEAL_KEY) =>
  (JSON.parse(openSealed(doc.sealedPrivateJwk as string, sealKey, `signing-key:${doc.kid}`)) as JWK)
    .d as string;

describe('signing keys (real database)', () => {
  const names: string[] = [];
  let root: Connection;
  let db: Connection;

  beforeAll(async () => {
    root = await connectMongo(`${MONGO_BASE}/test-signing-keys-${randomUUID().slice(0, 8)}`);
  });
  beforeEach(() => {
    // A fresh database per test: each starts without keys.
    const name = `test-signing-keys-${randomUUID().slice(0, 8)}`;
    names.push(name);
    db = root.useDb(name, { useCache: false });
  });
  afterAll(async () => {
    await root.close();
    await dropDatabases([...names, root.name]);
  });

  const raw = () => db.collection<RawKey>('signing_keys');
  const keysAt = (clock: ReturnType<typeof testClock>, sealKey: Buffer = SEAL_KEY) =>
    new SigningKeys(new SigningKeyRepository(db), { sealKey, now: clock.now });

  it('when the first key is created, then the database holds its private key only sealed, and another seal key cannot open it', async () => {
    const clock = testClock();
    const keys = keysAt(clock);
    const token = await sign(keys);
    const [doc, ...others] = await raw().find({}).toArray();
    expect(others).toHaveLength(0);
    expect(doc).toMatchObject({ _id: 'gen-1', generation: 1, kid: kidOf(token) });
    expect(doc?.privateJwk).toBeUndefined();
    expect(doc?.publicJwk.d).toBeUndefined();
    expect(doc?.sealedPrivateJwk).toMatch(/^v1\./);
    const d = privateScalar(doc as RawKey);
    expect(JSON.stringify(doc)).not.toContain(d);
    await expect(verify(token, await keys.jwks())).resolves.toBeDefined();

    // Another seal key: neither the kit nor the service can open it, and the error names no key material.
    const otherKey = randomBytes(32);
    expect(() => privateScalar(doc as RawKey, otherKey)).toThrow('sealed value cannot be opened');
    const failure = await keysAt(clock, otherKey)
      .current()
      .then(
        () => null,
        (err: Error) => err,
      );
    expect(failure?.message).toBe(`signing key ${doc?.kid} cannot be opened with this seal key`);
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(d);
  });

  it('when a sealed private key is copied onto another record, then it does not open there', async () => {
    const clock = testClock();
    const keys = keysAt(clock);
    await keys.current();
    const rotation = await keys.rotate();
    const first = await raw().findOne({ _id: 'gen-1' });
    await raw().updateOne({ _id: 'gen-2' }, { $set: { sealedPrivateJwk: first?.sealedPrivateJwk } });
    clock.advance(KEY_ACTIVATION_LEAD_MS);
    await expect(keysAt(clock).current()).rejects.toThrow(
      `signing key ${rotation.kid} cannot be opened with this seal key`,
    );
  });

  it('when the key is rotated, then the new key is published before it signs, tokens signed before still verify, and new tokens carry the new kid', async () => {
    const clock = testClock();
    const keys = keysAt(clock);
    // Another replica, whose cache was filled before the rotation.
    const replica = keysAt(clock);
    const before = await sign(keys);
    await replica.jwks();

    const rotation = await keys.rotate();
    expect(rotation).toMatchObject({ rotated: true, generation: 2 });
    expect(rotation.activatesAt.getTime()).toBe(clock.ms() + KEY_ACTIVATION_LEAD_MS);
    expect(rotation.published).toEqual([rotation.kid, kidOf(before)]);
    // Published at once, but the old key signs until the new one activates.
    expect(kidsOf(await keys.jwks())).toEqual([rotation.kid, kidOf(before)]);
    expect(kidOf(await sign(keys))).toBe(kidOf(before));

    // The replica sees the new key within its refresh bound, which ends before the key signs.
    expect(KEY_CACHE_REFRESH_MS).toBeLessThan(KEY_ACTIVATION_LEAD_MS);
    clock.advance(KEY_CACHE_REFRESH_MS);
    expect(kidsOf(await replica.jwks())).toContain(rotation.kid);

    clock.set(rotation.activatesAt.getTime());
    const after = await sign(keys);
    expect(kidOf(after)).toBe(rotation.kid);
    expect(kidOf(await sign(replica))).toBe(rotation.kid);
    const jwks = await replica.jwks();
    await expect(verify(before, jwks)).resolves.toMatchObject({ protectedHeader: { kid: kidOf(before) } });
    await expect(verify(after, jwks)).resolves.toMatchObject({ protectedHeader: { kid: rotation.kid } });

    const old = await raw().findOne({ _id: 'gen-1' });
    expect(old?.retiredAt).toEqual(rotation.activatesAt);
  });

  it("when the retired key's publish window passes, then its kid leaves the JWKS, an old token no longer verifies, and the key is deleted", async () => {
    const clock = testClock();
    const keys = keysAt(clock);
    const old = await sign(keys);
    const rotation = await keys.rotate();
    const retiredAt = rotation.activatesAt.getTime();

    clock.set(retiredAt + RETIRED_KEY_PUBLISHED_MS - 1);
    expect(await keys.prune()).toEqual([]);
    expect(kidsOf(await keys.jwks())).toEqual([rotation.kid, kidOf(old)]);
    await expect(verify(old, await keys.jwks())).resolves.toBeDefined();

    clock.set(retiredAt + RETIRED_KEY_PUBLISHED_MS);
    // Dropped from the JWKS by the clock alone, before any prune ran.
    expect(kidsOf(await keys.jwks())).toEqual([rotation.kid]);
    await expect(verify(old, await keys.jwks())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(await keys.prune()).toEqual([kidOf(old)]);
    expect(await raw().find({}).toArray()).toEqual([expect.objectContaining({ _id: 'gen-2' })]);
    expect(kidOf(await sign(keys))).toBe(rotation.kid);
  });

  it('when several replicas rotate at the same moment, then exactly one new key is stored and all of them use it', async () => {
    const clock = testClock();
    await keysAt(clock).current();
    // Every replica has read the key set before any inserts: they all claim the same generation.
    let gate = barrier(5);
    const replicas = Array.from(
      { length: 5 },
      () => new SigningKeys(new RacingRepository(db, () => gate()), { sealKey: SEAL_KEY, now: clock.now }),
    );
    const forced = await Promise.all(replicas.map((k) => k.rotate()));
    expect(forced.filter((o) => o.rotated)).toHaveLength(1);
    expect(new Set(forced.map((o) => o.kid)).size).toBe(1);
    expect(await raw().countDocuments({})).toBe(2);
    // Run again while that key is pending, the command adds nothing.
    expect(await replicas[0]?.rotate()).toMatchObject({ rotated: false, kid: forced[0]?.kid });

    // The scheduled path: all find the key overdue at once; one rotation wins.
    clock.advance(31 * DAY);
    gate = barrier(5);
    const scheduled = await Promise.all(replicas.map((k) => k.rotateIfDue(30 * DAY)));
    const winners = scheduled.filter((o) => o?.rotated);
    expect(winners).toHaveLength(1);
    expect(new Set(scheduled.map((o) => o?.kid))).toEqual(new Set([winners[0]?.kid]));
    expect(await raw().countDocuments({ generation: 3 })).toBe(1);
    expect(await raw().countDocuments({})).toBe(3);
    expect(await replicas[0]?.rotateIfDue(30 * DAY)).toBeNull();
    clock.advance(KEY_ACTIVATION_LEAD_MS);
    const signed = await Promise.all(replicas.map((k) => sign(k)));
    expect(new Set(signed.map(kidOf))).toEqual(new Set([winners[0]?.kid]));
  });

  it('when the database holds a key written before sealing, then it is sealed in place on load, keeps its kid, and the tokens it signed keep verifying', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const kid = `k-${Date.now().toString(36)}`;
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: 'ES256' };
    await raw().insertOne({
      _id: 'primary',
      privateJwk,
      publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' },
      createdAt: new Date(Date.now() - 100 * DAY),
    } as RawKey);
    const signedBefore = await new SignJWT({ roles: [] })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('u-1')
      .setIssuer(ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(pair.privateKey);

    const clock = testClock();
    const keys = keysAt(clock);
    expect((await keys.current()).kid).toBe(kid);
    const migrated = await raw().findOne({ _id: 'primary' });
    expect(migrated).toMatchObject({ kid, generation: 0 });
    expect(migrated?.privateJwk).toBeUndefined();
    expect(JSON.stringify(migrated)).not.toContain(privateJwk.d);
    expect(privateScalar(migrated as RawKey)).toBe(privateJwk.d);
    await expect(verify(signedBefore, await keys.jwks())).resolves.toBeDefined();
    expect(kidOf(await sign(keys))).toBe(kid);

    // A hundred days old: the schedule rotates it, and it retires like any other key.
    const rotation = await keys.rotateIfDue(30 * DAY);
    expect(rotation).toMatchObject({ rotated: true, generation: 1 });
    clock.advance(KEY_ACTIVATION_LEAD_MS + RETIRED_KEY_PUBLISHED_MS);
    expect(await keys.prune()).toEqual([kid]);
    expect(await raw().findOne({ _id: 'primary' })).toBeNull();
  });
});

describe('signing keys in the running service', () => {
  const config = usersConfig({ logLevel: 'debug' });
  let service: RunningService;
  let seeded: Connection;
  let oldKid: string;

  beforeAll(async () => {
    // A key activated 31 days ago: the service's schedule finds it due at start.
    seeded = await connectMongo(config.mongoUri);
    const clock = testClock(Date.now() - 31 * DAY);
    oldKid = (
      await new SigningKeys(new SigningKeyRepository(seeded), { sealKey: SEAL_KEY, now: clock.now }).current()
    ).kid;
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
  });
  afterAll(async () => {
    await service.stop();
    await seeded.close();
    await dropDatabases([new URL(config.mongoUri).pathname.slice(1)]);
  });

  it('when the key is older than the rotation interval, then the service rotates at start, publishes both keys, and logs kids but no key material', async () => {
    const url = service.url.replace('/graphql', '/.well-known/jwks.json');
    const published = await eventually(async () => {
      const jwks = (await (await fetch(url)).json()) as JSONWebKeySet;
      return jwks.keys.length === 2 ? jwks : undefined;
    });
    expect(published.keys.map((k) => k.kid)).toContain(oldKid);
    expect(published.keys.every((k) => k.d === undefined)).toBe(true);
    const docs = await seeded.collection<RawKey>('signing_keys').find({}).toArray();
    expect(docs.map((d) => d.generation).sort()).toEqual([1, 2]);
    const lines = logLines().join('\n');
    expect(lines).toContain('signing key rotated');
    for (const doc of docs) {
      expect(lines).not.toContain(privateScalar(doc));
      expect(lines).not.toContain(doc.sealedPrivateJwk as string);
    }
  });
});
