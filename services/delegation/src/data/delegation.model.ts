import { Schema, type Connection, type Model } from 'mongoose';

export interface DelegationRecord {
  _id: string;
  delegatorId: string;
  deputyId: string;
  validFrom: Date;
  validUntil: Date;
}

const delegationSchema = new Schema<DelegationRecord>(
  {
    _id: { type: String, required: true },
    delegatorId: { type: String, required: true },
    deputyId: { type: String, required: true },
    validFrom: { type: Date, required: true },
    validUntil: { type: Date, required: true },
  },
  { collection: 'delegations', versionKey: false, timestamps: true },
);
// User.delegations: the delegations one user has given.
delegationSchema.index({ delegatorId: 1 });

export type DelegationModel = Model<DelegationRecord>;

export function delegationModel(db: Connection): DelegationModel {
  return (db.models.Delegation as DelegationModel | undefined) ?? db.model('Delegation', delegationSchema);
}

/** Reads delegations; plain objects. */
export class DelegationRepository {
  constructor(private readonly model: DelegationModel) {}

  byDelegators(ids: readonly string[]): Promise<DelegationRecord[]> {
    return this.model
      .find({ delegatorId: { $in: [...ids] } })
      .sort({ validFrom: 1 })
      .lean<DelegationRecord[]>()
      .exec();
  }
}
