import { Schema, type Connection, type Model } from 'mongoose';
import type { Delegation } from './delegation';

/** The current-state collection of the delegations' versioned store. */
export const DELEGATIONS = 'delegations';

const scopeSchema = new Schema(
  {
    kind: { type: String, required: true, enum: ['ALL', 'APPLICATIONS'] },
    applicationIds: { type: [String], default: [] },
  },
  { _id: false },
);

// The versioned store writes these documents whole (kit storage/versioned-store.ts); the schema
// declares their shape for reads and the indexes the queries below need.
const delegationSchema = new Schema<Delegation>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    delegatorId: { type: String, required: true },
    delegatorName: { type: String, required: true },
    deputyId: { type: String, required: true },
    scope: { type: scopeSchema, required: true },
    validFrom: { type: Date, required: true },
    validTo: { type: Date, required: true },
    reason: { type: String, required: true },
    allowFurtherDelegation: { type: Boolean, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    endedBy: { type: String, default: null },
    endedAt: { type: Date, default: null },
    endReason: { type: String, default: null },
    expiredAt: { type: Date, default: null },
  },
  { collection: DELEGATIONS, versionKey: false },
);
// User.delegations(direction: GIVEN), the cycle check's walk, and a leaver's given delegations.
delegationSchema.index({ delegatorId: 1 });
// User.delegations(direction: RECEIVED), and a leaver's received delegations.
delegationSchema.index({ deputyId: 1 });

export type DelegationModel = Model<Delegation>;

/** The delegations' model on a connection (declared once per connection). */
export function delegationModel(db: Connection): DelegationModel {
  return (
    (db.models.Delegation as DelegationModel | undefined) ??
    db.model<Delegation>('Delegation', delegationSchema)
  );
}
