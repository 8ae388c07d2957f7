import { Schema, type Connection, type Model, type MongooseQueryOrDocumentMiddleware } from 'mongoose';

/**
 * One entry of the audit trail as stored: the projection of one event. Append-only; `_id` is the
 * event id, so a redelivered event cannot add a second entry.
 */
export interface AuditRecord {
  _id: string;
  /** When the change happened (the event time). */
  time: Date;
  /** A user id, or system:<component>. */
  actor: string;
  /** Whom the actor acted for; null when for themselves. */
  onBehalfOf: string | null;
  /** The event type, or the action an audit.recorded event names. */
  action: string;
  /** user, organization, credential, ... */
  targetType: string;
  targetId: string;
  /** JSON text of the values before and after, secrets redacted; null when there is no side. */
  before: string | null;
  after: string | null;
  correlationId: string;
  /** The producing service, e.g. /concierge/users. */
  source: string;
  /** When the trail stored it. */
  recordedAt: Date;
}

const auditSchema = new Schema<AuditRecord>(
  {
    _id: { type: String, required: true },
    time: { type: Date, required: true },
    actor: { type: String, required: true },
    onBehalfOf: { type: String, default: null },
    action: { type: String, required: true },
    targetType: { type: String, required: true },
    targetId: { type: String, required: true },
    before: { type: String, default: null },
    after: { type: String, default: null },
    correlationId: { type: String, required: true },
    source: { type: String, required: true },
    recordedAt: { type: Date, required: true },
  },
  { collection: 'audit_records', versionKey: false, strict: 'throw' },
);
// auditTrail without a filter: newest first, and its keyset (time, _id).
auditSchema.index({ time: -1, _id: -1 });
// auditTrail(filter: { targetId }): the history of one user, organisation or credential.
auditSchema.index({ targetId: 1, time: -1 });
// auditTrail(filter: { actor }): what one person or component did.
auditSchema.index({ actor: 1, time: -1 });
// auditTrail(filter: { action }), exact or by prefix (an anchored prefix can use the index).
auditSchema.index({ action: 1, time: -1 });

// The trail is never edited: refuse every update and delete issued through the model, so a
// slip in code cannot rewrite history. (Test databases are dropped whole, not through it.)
const WRITES: MongooseQueryOrDocumentMiddleware[] = [
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
];
auditSchema.pre(WRITES, { document: false, query: true }, function refuse() {
  throw new Error('the audit trail is append-only');
});
auditSchema.pre('save', function refuseResave() {
  if (!this.isNew) throw new Error('the audit trail is append-only');
});

export type AuditModel = Model<AuditRecord>;

export function auditModel(db: Connection): AuditModel {
  return (
    (db.models.AuditRecord as AuditModel | undefined) ?? db.model<AuditRecord>('AuditRecord', auditSchema)
  );
}
