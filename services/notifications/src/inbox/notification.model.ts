import { Schema, type Connection, type Model } from 'mongoose';

/** What a notification is about; the graph's NotificationKind documents each. */
export const NOTIFICATION_KINDS = [
  'WELCOME',
  'SET_PASSWORD',
  'TASK_ASSIGNED',
  'TASK_REMINDER',
  'TASK_ESCALATED',
  'REQUEST_APPROVED',
  'REQUEST_REJECTED',
  'GRANT_STARTED',
  'GRANT_EXPIRING',
  'DELEGATION_RECEIVED',
  'API_TOKEN_EXPIRING',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The kinds of object a notification links to. */
export const LINK_KINDS = ['ACCESS_REQUEST', 'GRANT', 'DELEGATION', 'API_TOKEN'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** The object a notification is about; the path a client opens follows from it (resolvers). */
export interface NotificationLinkRecord {
  kind: LinkKind;
  id: string;
}

export interface NotificationRecord {
  /**
   * `<sourceEventId>:<userId>`: one notification per event and recipient, so a redelivered event
   * finds its notifications taken and adds none (kit insertAllNew).
   */
  _id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** Absent on WELCOME and SET_PASSWORD, and on notifications stored before links existed. */
  link?: NotificationLinkRecord | null;
  /** The approvers a deputy was told about the task for; empty (or absent) when for themselves. */
  onBehalfOf?: string[];
  /** The event that caused it. */
  sourceEventId: string;
  /** The event's time, so the inbox order follows what happened, not when it was consumed. */
  createdAt: Date;
  readAt: Date | null;
  /**
   * SET_PASSWORD only: the set-password token as the users service sealed it, for the e-mail
   * delivery. Never in clear, never read by default (select: false) nor exposed in the graph.
   */
  sealedToken?: string | null;
}

const linkSchema = new Schema<NotificationLinkRecord>(
  {
    kind: { type: String, required: true, enum: LINK_KINDS },
    id: { type: String, required: true },
  },
  { _id: false },
);

const notificationSchema = new Schema<NotificationRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    kind: { type: String, required: true, enum: NOTIFICATION_KINDS },
    title: { type: String, required: true },
    body: { type: String, required: true },
    link: { type: linkSchema, default: null },
    onBehalfOf: { type: [String], default: [] },
    sourceEventId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    readAt: { type: Date, default: null },
    sealedToken: { type: String, select: false },
  },
  { collection: 'notifications', versionKey: false },
);
// The inbox: every read (myNotifications, User.notifications, markAll) is an equality on userId.
notificationSchema.index({ userId: 1 });

export type NotificationModel = Model<NotificationRecord>;

/** The notifications model on this connection (registered once per connection). */
export function notificationModel(db: Connection): NotificationModel {
  return (
    (db.models.Notification as NotificationModel | undefined) ?? db.model('Notification', notificationSchema)
  );
}
