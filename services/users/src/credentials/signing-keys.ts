import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { every, MAX_ACCESS_TOKEN_TTL_S, openSealed, sealFor, type Logger } from '@concierge/kit';
import {
  isLegacySigningKey,
  type SigningKeyRecord,
  type SigningKeyRepository,
} from './signing-key.repository';

/** Audience of every access token; the gateway checks it. */
export const TOKEN_AUDIENCE = 'concierge';
const ALG = 'ES256';

/** The longest a replica's cached key set goes unread: the bound on it seeing another replica's rotation. */
export const KEY_CACHE_REFRESH_MS = 60_000;
/**
 * A new key is published this long before it signs. Longer than the cache refresh, so every
 * replica's JWKS lists it before any replica signs with it, with a minute to spare for clock skew.
 */
export const KEY_ACTIVATION_LEAD_MS = KEY_CACHE_REFRESH_MS + 60_000;
/** Room beyond the longest token lifetime for clock skew and replicas that could not refresh. */
export const RETIRED_KEY_MARGIN_MS = 5 * 60_000;
/** How long a retired key stays in the JWKS: until every token it signed has expired. */
export const RETIRED_KEY_PUBLISHED_MS = MAX_ACCESS_TOKEN_TTL_S * 1000 + RETIRED_KEY_MARGIN_MS;
/** How often a running service checks whether its key is due for rotation. */
export const KEY_MAINTENANCE_INTERVAL_MS = 5 * 60_000;
/**
 * While the database cannot be read, a cached key set keeps serving this long. A replica that
 * misses a rotation signs with the old key at most this long after loading it, which the lead and
 * the margin cover, so its tokens still expire before the old key leaves the JWKS.
 */
const STALE_LIMIT_MS = RETIRED_KEY_MARGIN_MS;

const recordId = (generation: number) => `gen-${generation}`;
// The kid binds a sealed private key to its record: moved onto another record, it no longer opens.
const sealAad = (kid: string) => `signing-key:${kid}`;

export type SigningKeyState = 'pending' | 'active' | 'retired' | 'expired';

export interface SigningKeyStatus {
  kid: string;
  generation: number;
  state: SigningKeyState;
  createdAt: Date;
  activatedAt: Date;
  retiredAt?: Date;
  /** When a retired key leaves the JWKS. */
  publishedUntil?: Date;
}

/**
 * Where each key stands at `now`: the newest activated generation signs (or, before any is
 * activated, the first to activate); newer ones are pending; older ones retired when the next
 * activated one took over, and expired once their publish window has passed.
 */
export function keyStates(records: SigningKeyRecord[], now: Date): SigningKeyStatus[] {
  const newestFirst = [...records].sort((a, b) => b.generation - a.generation);
  const t = now.getTime();
  const signer =
    newestFirst.find((r) => r.activatedAt.getTime() <= t) ??
    [...newestFirst].sort((a, b) => a.activatedAt.getTime() - b.activatedAt.getTime())[0];
  return newestFirst.map((r) => {
    const base = {
      kid: r.kid,
      generation: r.generation,
      createdAt: r.createdAt,
      activatedAt: r.activatedAt,
    };
    if (r === signer) return { ...base, state: 'active' };
    if (r.activatedAt.getTime() > t || !signer || r.generation > signer.generation)
      return { ...base, state: 'pending' };
    // Derived from the successors, so a retiredAt that was never written changes nothing.
    const takeovers = newestFirst
      .filter((s) => s.generation > r.generation && s.activatedAt.getTime() <= t)
      .map((s) => s.activatedAt.getTime());
    const retiredAt = new Date(Math.min(...takeovers));
    const publishedUntil = new Date(retiredAt.getTime() + RETIRED_KEY_PUBLISHED_MS);
    const state = t < publishedUntil.getTime() ? 'retired' : 'expired';
    return { ...base, state, retiredAt, publishedUntil };
  });
}

const newestGeneration = (records: SigningKeyRecord[]) => Math.max(0, ...records.map((r) => r.generation));

/** Whether the newest key (pending ones included) was activated at least `intervalMs` before `now`. */
export function rotationDue(records: SigningKeyRecord[], now: Date, intervalMs: number): boolean {
  if (intervalMs <= 0) return false;
  const newest = records.reduce<SigningKeyRecord | undefined>(
    (a, r) => (!a || r.generation > a.generation ? r : a),
    undefined,
  );
  return !!newest && newest.activatedAt.getTime() + intervalMs <= now.getTime();
}

export interface RotationOutcome {
  /** False when another replica or command claimed the generation first, or its key is still pending; that key is reported. */
  rotated: boolean;
  kid: string;
  generation: number;
  activatesAt: Date;
  /** The kids the JWKS lists after the rotation, the new one included. */
  published: string[];
}

export interface SigningKeysOptions {
  /** Seals the private keys at rest. Absent only where no key is used (e.g. the bootstrap command). */
  sealKey?: Buffer;
  now?: () => Date;
  refreshMs?: number;
  activationLeadMs?: number;
}

interface OpenedKey {
  sealed: string;
  key: Promise<KeyLike | Uint8Array>;
}

/**
 * The key pairs access tokens are signed with, kept in the users database so that every replica
 * signs with the same key and the gateway verifies with the published JWKS. Private keys are
 * stored sealed; the set is cached and re-read at least every `refreshMs`.
 */
export class SigningKeys {
  private cache: { seq: number; loadedAt: number; records: SigningKeyRecord[] } | null = null;
  private reads = 0;
  private loading: Promise<SigningKeyRecord[]> | null = null;
  private readonly opened = new Map<string, OpenedKey>();
  private readonly now: () => Date;
  private readonly refreshMs: number;
  private readonly activationLeadMs: number;

  constructor(
    private readonly store: SigningKeyRepository,
    private readonly options: SigningKeysOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.refreshMs = options.refreshMs ?? KEY_CACHE_REFRESH_MS;
    this.activationLeadMs = options.activationLeadMs ?? KEY_ACTIVATION_LEAD_MS;
  }

  /** The key that signs now: its kid, its private key, its public JWK. */
  async current(): Promise<{ kid: string; privateKey: KeyLike | Uint8Array; publicJwk: JWK }> {
    const records = await this.keySet();
    const active = keyStates(records, this.now()).find((s) => s.state === 'active');
    const record = records.find((r) => r.kid === active?.kid);
    if (!record) throw new Error('no signing key is active');
    return { kid: record.kid, privateKey: await this.open(record), publicJwk: record.publicJwk };
  }

  /** The public keys, as served at /.well-known/jwks.json: pending, active and recently retired. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const records = await this.keySet();
    const byKid = new Map(records.map((r) => [r.kid, r.publicJwk]));
    return { keys: this.publishedKids(records).flatMap((kid) => byKid.get(kid) ?? []) };
  }

  /** Every stored key and where it stands, read from the database. */
  async status(): Promise<SigningKeyStatus[]> {
    return keyStates(await this.read(), this.now());
  }

  /**
   * Adds the next generation now, whatever the age of the current key; while a key is pending, it
   * is the rotation (so commands run together, or in quick succession, add one key).
   */
  async rotate(): Promise<RotationOutcome> {
    const records = await this.read();
    const pending = records.find(
      (r) => r.activatedAt.getTime() > this.now().getTime() && r.generation === newestGeneration(records),
    );
    if (!pending) return this.claimNext(records);
    return {
      rotated: false,
      kid: pending.kid,
      generation: pending.generation,
      activatesAt: pending.activatedAt,
      published: this.publishedKids(records),
    };
  }

  /** Adds the next generation when the newest key is `intervalMs` old; null when it is not due. */
  async rotateIfDue(intervalMs: number): Promise<RotationOutcome | null> {
    const records = await this.read();
    return rotationDue(records, this.now(), intervalMs) ? this.claimNext(records) : null;
  }

  /** Deletes the keys whose publish window has passed, and with them their sealed private keys. */
  async prune(): Promise<string[]> {
    const records = await this.read();
    const expired = new Set(
      keyStates(records, this.now())
        .filter((s) => s.state === 'expired')
        .map((s) => s.kid),
    );
    for (const record of records) if (expired.has(record.kid)) await this.store.remove(record._id);
    if (expired.size > 0) await this.read();
    return [...expired];
  }

  /** Published kids, newest first: pending, active and retired ones whose window is open. */
  private publishedKids(records: SigningKeyRecord[]): string[] {
    return keyStates(records, this.now())
      .filter((s) => s.state !== 'expired')
      .map((s) => s.kid);
  }

  private async claimNext(records: SigningKeyRecord[]): Promise<RotationOutcome> {
    const generation = newestGeneration(records) + 1;
    const now = this.now();
    const candidate = await this.generate(generation, now, new Date(now.getTime() + this.activationLeadMs));
    // The unique _id is the claim: of replicas rotating together, one insert wins.
    const rotated = await this.store.claim(candidate);
    const after = await this.read();
    const stored = after.find((r) => r.generation === generation);
    if (!stored) throw new Error(`signing key generation ${generation} vanished after its claim`);
    if (rotated) await this.recordRetirements(after);
    return {
      rotated,
      kid: stored.kid,
      generation,
      activatesAt: stored.activatedAt,
      published: this.publishedKids(after),
    };
  }

  /** Writes each key's retiredAt (the next generation's activation) where it is missing. */
  private async recordRetirements(records: SigningKeyRecord[]): Promise<void> {
    const oldestFirst = [...records].sort((a, b) => a.generation - b.generation);
    for (const [i, record] of oldestFirst.entries()) {
      const next = oldestFirst[i + 1];
      if (next && !record.retiredAt) await this.store.markRetired(record._id, next.activatedAt);
    }
  }

  private async generate(generation: number, createdAt: Date, activatedAt: Date): Promise<SigningKeyRecord> {
    const pair = await generateKeyPair(ALG, { extractable: true });
    const kid = `k${generation}-${randomBytes(6).toString('base64url')}`;
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: ALG };
    return {
      _id: recordId(generation),
      kid,
      generation,
      publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: ALG, use: 'sig' },
      sealedPrivateJwk: sealFor(JSON.stringify(privateJwk), this.sealKey(), sealAad(kid)),
      createdAt,
      activatedAt,
    };
  }

  private sealKey(): Buffer {
    if (!this.options.sealKey) throw new Error('signing keys need the seal key (CONCIERGE_SEAL_KEY)');
    return this.options.sealKey;
  }

  /** The cached set while fresh; otherwise read again, falling back to a briefly stale cache. */
  private async keySet(): Promise<SigningKeyRecord[]> {
    const age = this.cache ? this.now().getTime() - this.cache.loadedAt : Infinity;
    if (this.cache && age >= 0 && age < this.refreshMs) return this.cache.records;
    try {
      // Requests that find the cache stale together share one read.
      this.loading ??= this.read().finally(() => {
        this.loading = null;
      });
      return await this.loading;
    } catch (err) {
      if (this.cache && age >= 0 && age < STALE_LIMIT_MS) return this.cache.records;
      throw err;
    }
  }

  /** Reads every key (one query; the set is tiny), sealing legacy ones and creating the first. */
  private async read(): Promise<SigningKeyRecord[]> {
    const seq = ++this.reads;
    const loadedAt = this.now().getTime();
    let records: SigningKeyRecord[] = [];
    for (const doc of await this.store.all()) {
      if (!isLegacySigningKey(doc)) {
        records.push(doc);
        continue;
      }
      // Sealed in place, keeping its kid, so the tokens it signed keep verifying.
      const kid = doc.publicJwk.kid;
      if (!kid) throw new Error(`legacy signing key ${doc._id} has no kid`);
      const activatedAt = doc.createdAt ?? this.now();
      const sealed = {
        kid,
        generation: 0,
        publicJwk: doc.publicJwk,
        sealedPrivateJwk: sealFor(JSON.stringify(doc.privateJwk), this.sealKey(), sealAad(kid)),
        createdAt: activatedAt,
        activatedAt,
      };
      await this.store.replaceLegacy(doc._id, sealed);
      records.push({ _id: doc._id, ...sealed });
    }
    if (records.length === 0) {
      // The first key signs at once: nothing can have cached a set without it.
      const now = this.now();
      const first = await this.generate(1, now, now);
      await this.store.claim(first);
      records = (await this.store.all()).filter((d): d is SigningKeyRecord => !isLegacySigningKey(d));
      if (records.length === 0) throw new Error('signing key vanished after insert');
    }
    const ids = new Set(records.map((r) => r._id));
    for (const id of this.opened.keys()) if (!ids.has(id)) this.opened.delete(id);
    // A read that started earlier but finished later must not replace a newer set.
    if (!this.cache || seq > this.cache.seq) this.cache = { seq, loadedAt, records };
    return records;
  }

  /** Opens and imports a sealed private key, once per record. */
  private open(record: SigningKeyRecord): Promise<KeyLike | Uint8Array> {
    const known = this.opened.get(record._id);
    if (known?.sealed === record.sealedPrivateJwk) return known.key;
    const key = this.unseal(record);
    key.catch(() => this.opened.delete(record._id));
    this.opened.set(record._id, { sealed: record.sealedPrivateJwk, key });
    return key;
  }

  private async unseal(record: SigningKeyRecord): Promise<KeyLike | Uint8Array> {
    // Errors name the kid only: the messages of openSealed, JSON.parse and importJWK could carry key text.
    let jwk: JWK;
    try {
      jwk = JSON.parse(openSealed(record.sealedPrivateJwk, this.sealKey(), sealAad(record.kid))) as JWK;
    } catch {
      throw new Error(`signing key ${record.kid} cannot be opened with this seal key`);
    }
    if (!jwk.d || jwk.x !== record.publicJwk.x || jwk.y !== record.publicJwk.y)
      throw new Error(`signing key ${record.kid} does not match its public key`);
    try {
      return await importJWK(jwk, ALG);
    } catch {
      throw new Error(`signing key ${record.kid} cannot be imported`);
    }
  }
}

/**
 * At start and every few minutes: rotates the key once it is `days` old (0: never) and deletes
 * keys whose publish window has passed. Logs kids only.
 */
export function rotateSigningKeysOnSchedule(
  keys: SigningKeys,
  days: number,
  logger: Logger,
): { stop: () => Promise<void> } {
  return every(
    KEY_MAINTENANCE_INTERVAL_MS,
    async () => {
      const removed = await keys.prune();
      if (removed.length > 0) logger.info({ removed }, 'retired signing keys left the JWKS');
      const rotation = await keys.rotateIfDue(days * 86_400_000);
      if (rotation?.rotated)
        logger.info(
          { kid: rotation.kid, activatesAt: rotation.activatesAt, published: rotation.published },
          'signing key rotated',
        );
    },
    logger,
  );
}

export interface TokenClaims {
  userId: string;
  roles: string[];
  /** The sign-in the token belongs to (its refresh-token family). */
  sessionId?: string;
}

/** Signs a short-lived access token for a user. */
export async function issueAccessToken(
  keys: SigningKeys,
  claims: TokenClaims,
  options: { issuer: string; ttlS: number },
): Promise<string> {
  const { kid, privateKey } = await keys.current();
  // `sid` names the sign-in (refresh-token family), so the gateway can refuse the token once
  // that sign-in ends; a token minted by the token command has none.
  return new SignJWT({ roles: claims.roles, ...(claims.sessionId ? { sid: claims.sessionId } : {}) })
    .setProtectedHeader({ alg: ALG, kid })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlS}s`)
    .sign(privateKey);
}
