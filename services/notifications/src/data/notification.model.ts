import { Schema, type Connection, type Model } from 'mongoose';

export type NotificationKind = 'WELCOME' | 'SET_PASSWORD';

export interface NotificationRecord {
  _id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** The event that caused it; unique, so a redelivered event cannot create a second one. */
  sourceEventId: string;
  createdAt: Date;
  readAt: Date | null;
  /**
   * SET_PASSWORD only: the set-password token as the users service sealed it, for the e-mail
   * delivery. Never in clear, never read by default (select: false) nor exposed in the graph.
   */
  sealedToken?: string | null;
}

const notificationSchema = new Schema<NotificationRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['WELCOME', 'SET_PASSWORD'] },
    title: { type: String, required: true },
    body: { type: String, required: true },
    sourceEventId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    readAt: { type: Date, default: null },
    sealedToken: { type: String, select: false },
  },
  { collection: 'notifications', versionKey: false },
);
// The inbox query: one user's notifications.
notificationSchema.index({ userId: 1 });
// At most one notification per causing event (idempotent consumer effect).
notificationSchema.index({ sourceEventId: 1 }, { unique: true });

export type NotificationModel = Model<NotificationRecord>;

export function notificationModel(db: Connection): NotificationModel {
  return (
    (db.models.Notification as NotificationModel | undefined) ?? db.model('Notification', notificationSchema)
  );
}
