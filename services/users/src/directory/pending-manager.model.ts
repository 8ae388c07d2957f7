import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A user imported before their manager: HR exports often list reports before managers, and a feed
 * may deliver a joiner before the manager's own record. The user is written without that manager,
 * and this record waits until a user with `managerKey` exists; then the manager is set.
 */
export interface PendingManagerRecord {
  /** The report's `source:externalId`: one wait per user, the latest record's manager. */
  _id: string;
  userId: string;
  /** The manager's `source:externalId`. */
  managerKey: string;
  since: Date;
}

const pendingManagerSchema = new Schema<PendingManagerRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    managerKey: { type: String, required: true },
    since: { type: Date, required: true },
  },
  { collection: 'pending_managers', versionKey: false },
);
// Read whole (it holds only the waits not yet resolved) and written by _id: no other index.

export type PendingManagerModel = Model<PendingManagerRecord>;

export function pendingManagerModel(db: Connection): PendingManagerModel {
  return (
    (db.models.PendingManager as PendingManagerModel | undefined) ??
    db.model<PendingManagerRecord>('PendingManager', pendingManagerSchema)
  );
}
