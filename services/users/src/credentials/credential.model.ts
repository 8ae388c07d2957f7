import { Schema, type Connection, type Model } from 'mongoose';
import { addOutbox, type OutboxFields } from '@concierge/kit';
import type { AddressLock } from './lockout';

/** A user's sign-in secrets and counters, kept apart from the profile (_id = user id). */
export interface CredentialRecord extends OutboxFields {
  _id: string;
  /** argon2id PHC string; null until the user sets a password, and again after an admin reset. */
  passwordHash: string | null;
  passwordChangedAt: Date | null;
  /** Throttling of wrong passwords, by address and for the account (see credentials/lockout.ts). */
  failedAttempts: number;
  lockedUntil: Date | null;
  windowStartedAt: Date | null;
  addressLocks: AddressLock[];
  knownAddresses: string[];
  /** Global roles carried by access tokens, e.g. admin (set by the bootstrap-admin command). */
  globalRoles: string[];
  /** Refresh tokens of sign-ins made up to this moment no longer work (suspension, reset, change). */
  sessionsRevokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const credentialSchema = new Schema<CredentialRecord>(
  {
    _id: { type: String, required: true },
    passwordHash: { type: String, default: null },
    passwordChangedAt: { type: Date, default: null },
    failedAttempts: { type: Number, default: 0 },
    lockedUntil: { type: Date, default: null },
    windowStartedAt: { type: Date, default: null },
    addressLocks: {
      type: [{ _id: false, k: String, failures: Number, lockedUntil: { type: Date, default: null } }],
      default: [],
    },
    knownAddresses: { type: [String], default: [] },
    globalRoles: { type: [String], default: [] },
    sessionsRevokedAt: { type: Date, default: null },
  },
  { collection: 'credentials', timestamps: true, versionKey: false, minimize: false },
);
// The events of each change wait in the changed document until the relay publishes them.
addOutbox(credentialSchema);

export type CredentialModel = Model<CredentialRecord>;

export function credentialModel(db: Connection): CredentialModel {
  return (
    (db.models.Credential as CredentialModel | undefined) ??
    db.model<CredentialRecord>('Credential', credentialSchema)
  );
}
