import { Schema, type Connection, type Model } from 'mongoose';

/** A delegation of approval rights, as the delegation service's events tell it. */
export interface DeputyRecord {
  /** The delegation's id. */
  _id: string;
  delegatorId: string;
  deputyId: string;
  scopeKind: 'ALL' | 'APPLICATIONS';
  applicationIds: string[];
  validFrom: Date;
  validTo: Date;
  allowFurtherDelegation: boolean;
  /** Set once the delegation ended or expired. */
  endedAt: Date | null;
}

const deputySchema = new Schema<DeputyRecord>(
  {
    _id: { type: String, required: true },
    delegatorId: { type: String, required: true },
    deputyId: { type: String, required: true },
    scopeKind: { type: String, required: true },
    applicationIds: { type: [String], default: [] },
    validFrom: { type: Date, required: true },
    validTo: { type: Date, required: true },
    allowFurtherDelegation: { type: Boolean, default: false },
    endedAt: { type: Date, default: null },
  },
  { collection: 'deputies', versionKey: false },
);
// Who stands in for an approver: the delegations an approver gave.
deputySchema.index({ delegatorId: 1 });
// Whom a user stands in for: the delegations a user received.
deputySchema.index({ deputyId: 1 });

export type DeputyModel = Model<DeputyRecord>;

export function deputyModel(db: Connection): DeputyModel {
  return (db.models.Deputy as DeputyModel | undefined) ?? db.model('Deputy', deputySchema);
}
