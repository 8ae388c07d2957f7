import { Schema, type Connection, type Model } from 'mongoose';

export type UserStatus = 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
export const USER_STATUSES: readonly UserStatus[] = ['PENDING', 'ACTIVE', 'SUSPENDED', 'TERMINATED'];

/**
 * A user as this service knows them from `concierge.user.v1`: only what deputies need. A field is
 * null until an event has said it (a record may start from a later event when the topic no longer
 * holds the user's creation).
 */
export interface DirectoryUserRecord {
  /** The user's id in the users service. */
  _id: string;
  status: UserStatus | null;
  managerId: string | null;
  displayName: string | null;
  organizationId: string | null;
  /** When the last event about the user was applied. */
  updatedAt: Date;
}

const directoryUserSchema = new Schema<DirectoryUserRecord>(
  {
    _id: { type: String, required: true },
    status: { type: String, enum: [...USER_STATUSES, null], default: null },
    managerId: { type: String, default: null },
    displayName: { type: String, default: null },
    organizationId: { type: String, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'directory_users', versionKey: false },
);
// Every read is by _id (a user, then their manager, up the chain); reports are never listed, so
// managerId needs no index.

export type DirectoryUserModel = Model<DirectoryUserRecord>;

/** The projection's model on a connection (declared once per connection). */
export function directoryUserModel(db: Connection): DirectoryUserModel {
  return (
    (db.models.DirectoryUser as DirectoryUserModel | undefined) ??
    db.model<DirectoryUserRecord>('DirectoryUser', directoryUserSchema)
  );
}
