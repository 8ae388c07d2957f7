import { isDuplicateKey } from '@concierge/kit';
import type {
  SetPasswordTokenClaim,
  SetPasswordTokenClaimModel,
  SetPasswordTokenModel,
  SetPasswordTokenRecord,
} from './credential-token.model';

export type SetPasswordToken = SetPasswordTokenRecord;

/** Set-password tokens (by hash) and their single-use claims. */
export class SetPasswordTokenRepository {
  constructor(
    readonly model: SetPasswordTokenModel,
    readonly claims: SetPasswordTokenClaimModel,
  ) {}

  async insert(token: Omit<SetPasswordToken, 'usedAt' | 'revokedAt'>): Promise<void> {
    await this.model.create({ ...token, usedAt: null, revokedAt: null });
  }

  /** Tokens of users created in bulk, in one write (raw driver: no per-document validation cost). */
  async insertMany(tokens: Omit<SetPasswordToken, 'usedAt' | 'revokedAt'>[]): Promise<void> {
    await this.model.collection.insertMany(
      tokens.map((t) => ({ ...t, usedAt: null, revokedAt: null })) as never[],
      { ordered: false },
    );
  }

  async findById(hash: string): Promise<SetPasswordToken | null> {
    return this.model.findById(hash).lean<SetPasswordToken>().exec();
  }

  async claimOf(hash: string): Promise<SetPasswordTokenClaim | null> {
    return this.claims.findById(hash).lean<SetPasswordTokenClaim>().exec();
  }

  /**
   * Claims the token for one use or for revocation; false when it was claimed before (by a
   * concurrent use, or a revocation). An insert on a unique _id: atomic on FerretDB too.
   */
  async claim(hash: string, userId: string, outcome: SetPasswordTokenClaim['outcome'], at: Date) {
    try {
      await this.claims.create({ _id: hash, userId, outcome, at });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Records on the token what its claim decided (for reading; the claim is what counts). */
  async mark(hash: string, outcome: SetPasswordTokenClaim['outcome'], at: Date): Promise<void> {
    await this.model
      .updateOne({ _id: hash }, { $set: outcome === 'USED' ? { usedAt: at } : { revokedAt: at } })
      .exec();
  }

  /** Voids every unused token of the user; returns how many it voided. */
  async revokeUnused(userId: string, at: Date): Promise<number> {
    const tokens = await this.model.find({ userId }, { _id: 1, usedAt: 1, revokedAt: 1 }).lean().exec();
    let revoked = 0;
    for (const token of tokens) {
      if (token.usedAt || token.revokedAt) continue;
      if (await this.claim(token._id, userId, 'REVOKED', at)) {
        await this.mark(token._id, 'REVOKED', at);
        revoked++;
      }
    }
    return revoked;
  }
}
