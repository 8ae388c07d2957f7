import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A refresh token, stored only as its SHA-256 (_id). A sign-in starts a family; each refresh
 * replaces the token presented by a successor in the same family.
 */
export interface RefreshTokenRecord {
  _id: string;
  userId: string;
  familyId: string;
  /** When the sign-in that started the family happened; compared with sessionsRevokedAt. */
  familyIssuedAt: Date;
  /**
   * The token this one replaced, or `root:<its own _id>` for the first of a family. Unique: inserting a
   * successor is how a refresh claims its parent, atomically on MongoDB and FerretDB alike.
   */
  parentId: string;
  /** The family's end: sign-in time plus USERS_REFRESH_TOKEN_TTL, the same for every successor. */
  expiresAt: Date;
  createdAt: Date;
  /** Set when the token was rotated; presenting it again is reuse and revokes the family. */
  replacedBy: string | null;
  revokedAt: Date | null;
}

const refreshTokenSchema = new Schema<RefreshTokenRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    familyId: { type: String, required: true },
    familyIssuedAt: { type: Date, required: true },
    parentId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    replacedBy: { type: String, default: null },
    revokedAt: { type: Date, default: null },
  },
  { collection: 'refresh_tokens', versionKey: false },
);
// One successor per token: the rotation claim.
refreshTokenSchema.index({ parentId: 1 }, { unique: true });
// Revoking one sign-in (logout, reuse).
refreshTokenSchema.index({ familyId: 1 });
// Revoking all of a user's sign-ins (suspension, termination, password reset or change).
refreshTokenSchema.index({ userId: 1 });

export type RefreshTokenModel = Model<RefreshTokenRecord>;

export function refreshTokenModel(db: Connection): RefreshTokenModel {
  return (
    (db.models.RefreshToken as RefreshTokenModel | undefined) ??
    db.model<RefreshTokenRecord>('RefreshToken', refreshTokenSchema)
  );
}
