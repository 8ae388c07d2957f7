import { Schema, type Connection, type Model } from 'mongoose';

export type SetPasswordPurpose = 'ACTIVATION' | 'ADMIN_RESET';

/** A one-time set-password token, stored only as its SHA-256 (_id). */
export interface SetPasswordTokenRecord {
  _id: string;
  userId: string;
  purpose: SetPasswordPurpose;
  expiresAt: Date;
  createdAt: Date;
  /** When it set a password. Mirrors its claim (see SetPasswordTokenClaim), which is what decides. */
  usedAt: Date | null;
  /** When a newer token or a lifecycle change made it void; mirrors its claim too. */
  revokedAt: Date | null;
}

/**
 * The single use of a token: an insert on the token hash as _id, which is atomic on MongoDB and on
 * FerretDB alike (a conditional update is not on FerretDB v1: concurrent ones all report success).
 */
export interface SetPasswordTokenClaim {
  _id: string;
  userId: string;
  outcome: 'USED' | 'REVOKED';
  at: Date;
}

const tokenSchema = new Schema<SetPasswordTokenRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    purpose: { type: String, required: true, enum: ['ACTIVATION', 'ADMIN_RESET'] },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { collection: 'set_password_tokens', versionKey: false },
);
// A new token voids the user's earlier ones.
tokenSchema.index({ userId: 1 });

const claimSchema = new Schema<SetPasswordTokenClaim>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    outcome: { type: String, required: true, enum: ['USED', 'REVOKED'] },
    at: { type: Date, required: true },
  },
  { collection: 'set_password_token_claims', versionKey: false },
);

export type SetPasswordTokenModel = Model<SetPasswordTokenRecord>;
export type SetPasswordTokenClaimModel = Model<SetPasswordTokenClaim>;

export function setPasswordTokenModel(db: Connection): SetPasswordTokenModel {
  return (
    (db.models.SetPasswordToken as SetPasswordTokenModel | undefined) ??
    db.model<SetPasswordTokenRecord>('SetPasswordToken', tokenSchema)
  );
}

export function setPasswordTokenClaimModel(db: Connection): SetPasswordTokenClaimModel {
  return (
    (db.models.SetPasswordTokenClaim as SetPasswordTokenClaimModel | undefined) ??
    db.model<SetPasswordTokenClaim>('SetPasswordTokenClaim', claimSchema)
  );
}
