import type { JWK } from 'jose';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from '@concierge/kit';

/** One signing key pair; the private half only ever sealed (see SigningKeys). */
export interface SigningKeyRecord {
  /** `gen-<generation>`: the unique id is the claim that lets one rotation per generation win. */
  _id: string;
  kid: string;
  /** Increases by one per rotation; the newest activated generation signs. */
  generation: number;
  publicJwk: JWK;
  /** The private JWK as JSON, sealed with the service's seal key, the kid as associated data. */
  sealedPrivateJwk: string;
  createdAt: Date;
  /** When it starts signing; after createdAt, so that every replica publishes it first. */
  activatedAt: Date;
  /** When the next generation took over (written after that generation's claim; derivable from it). */
  retiredAt?: Date;
}

/** What the code before rotation stored: one pair, `_id: 'primary'`, the private JWK in clear. */
export interface LegacySigningKeyRecord {
  _id: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
}

export type StoredSigningKey = SigningKeyRecord | LegacySigningKeyRecord;

export const isLegacySigningKey = (doc: StoredSigningKey): doc is LegacySigningKeyRecord =>
  'privateJwk' in doc && doc.privateJwk !== undefined;

/** The stored signing key pairs (collection `signing_keys`), by `_id`. */
export class SigningKeyRepository {
  constructor(private readonly db: Connection) {}

  private keys() {
    return this.db.collection<StoredSigningKey>('signing_keys');
  }

  /** Every stored pair: a handful of documents, read once per cache refresh, never per request. */
  async all(): Promise<StoredSigningKey[]> {
    return this.keys().find({}).toArray();
  }

  /** Inserts the pair unless its `_id` is taken; false when another writer claimed it first. */
  async claim(record: SigningKeyRecord): Promise<boolean> {
    try {
      await this.keys().insertOne(record);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * Rewrites a legacy pair in place, sealed, and removes its clear private key. Replicas racing on
   * it write equivalent values, so no condition is needed.
   */
  async replaceLegacy(id: string, sealed: Omit<SigningKeyRecord, '_id'>): Promise<void> {
    await this.keys().updateOne({ _id: id }, { $set: sealed, $unset: { privateJwk: '' } });
  }

  /** Records when a pair was taken over; idempotent (every writer sets the same date). */
  async markRetired(id: string, retiredAt: Date): Promise<void> {
    await this.keys().updateOne({ _id: id }, { $set: { retiredAt } });
  }

  async remove(id: string): Promise<void> {
    await this.keys().deleteOne({ _id: id });
  }
}
