import type { JWK } from 'jose';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from '@concierge/kit';

export interface SigningKeyRecord {
  _id: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
}

/** The stored signing key pairs (collection `signing_keys`), by name. */
export class SigningKeyRepository {
  constructor(private readonly db: Connection) {}

  private keys() {
    return this.db.collection<SigningKeyRecord>('signing_keys');
  }

  async find(id: string): Promise<SigningKeyRecord | null> {
    return this.keys().findOne({ _id: id });
  }

  /** Stores the pair unless one of that name exists; returns the stored one (the first insert wins). */
  async insertFirst(record: SigningKeyRecord): Promise<SigningKeyRecord> {
    await this.keys()
      .insertOne(record)
      .catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
      });
    const stored = await this.find(record._id);
    if (!stored) throw new Error('signing key vanished after insert');
    return stored;
  }
}
