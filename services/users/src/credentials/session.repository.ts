import { isDuplicateKey } from '@concierge/kit';
import type { RefreshTokenModel, RefreshTokenRecord } from './session.model';

export type RefreshToken = RefreshTokenRecord;

/** Refresh tokens (by hash), grouped in families, one per sign-in. */
export class RefreshTokenRepository {
  constructor(readonly model: RefreshTokenModel) {}

  async findById(hash: string): Promise<RefreshToken | null> {
    return this.model.findById(hash).lean<RefreshToken>().exec();
  }

  /** Stores the first token of a new sign-in (its parentId is unique and no token's hash). */
  async insertFirst(token: Omit<RefreshToken, 'parentId' | 'replacedBy' | 'revokedAt'>): Promise<void> {
    await this.model.create({ ...token, parentId: `root:${token._id}`, replacedBy: null, revokedAt: null });
  }

  /**
   * Stores the successor of `parentId`; false when the parent already has one. The unique index on
   * parentId makes this the rotation's atomic claim on FerretDB, where a conditional update is not.
   */
  async insertSuccessor(token: Omit<RefreshToken, 'replacedBy' | 'revokedAt'>): Promise<boolean> {
    try {
      await this.model.create({ ...token, replacedBy: null, revokedAt: null });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async markReplaced(hash: string, successor: string): Promise<void> {
    await this.model.updateOne({ _id: hash }, { $set: { replacedBy: successor } }).exec();
  }

  /** One token of a sign-in (equality on the indexed familyId), or null. */
  async anyOfFamily(familyId: string): Promise<RefreshToken | null> {
    return this.model.findOne({ familyId }).lean<RefreshToken>().exec();
  }

  /** Revokes every token of one sign-in; returns how many were still unrevoked. */
  async revokeFamily(familyId: string, at: Date): Promise<number> {
    const result = await this.model
      .updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: at } })
      .exec();
    return result.modifiedCount;
  }

  /** Revokes every token of the user; returns how many were still unrevoked. */
  async revokeAllOf(userId: string, at: Date): Promise<number> {
    const result = await this.model
      .updateMany({ userId, revokedAt: null }, { $set: { revokedAt: at } })
      .exec();
    return result.modifiedCount;
  }
}
