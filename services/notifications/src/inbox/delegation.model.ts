import { Schema, type Connection, type Model } from 'mongoose';

/**
 * What this service keeps of a delegation (from delegation.created): whose approval rights it
 * hands on, by name, so a deputy's task notification can say on whose behalf. The approval
 * events name deputies by delegation id and user id only.
 */
export interface DelegationRecord {
  /** The delegation id. */
  _id: string;
  delegatorId: string;
  delegatorName: string;
  deputyId: string;
}

const delegationSchema = new Schema<DelegationRecord>(
  {
    _id: { type: String, required: true },
    delegatorId: { type: String, required: true },
    delegatorName: { type: String, required: true },
    deputyId: { type: String, required: true },
  },
  { collection: 'delegations', versionKey: false },
);
// No index beyond _id: the only read is by delegation id.

export type DelegationModel = Model<DelegationRecord>;

/** The delegations model on this connection (registered once per connection). */
export function delegationModel(db: Connection): DelegationModel {
  return (db.models.Delegation as DelegationModel | undefined) ?? db.model('Delegation', delegationSchema);
}
