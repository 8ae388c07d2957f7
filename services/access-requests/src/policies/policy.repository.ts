import { Schema, type Connection, type Model } from 'mongoose';
import { findByKeys, VersionedStore, type Logger } from '@concierge/kit';
import type { ApprovalPolicy } from './approval-policy';

const policySchema = new Schema<ApprovalPolicy>(
  { _id: { type: String, required: true }, version: { type: Number, required: true } },
  // The store writes whole documents; the catalogue reads policies by id only.
  { collection: 'approval_policies', versionKey: false, strict: false },
);

function policyModel(db: Connection): Model<ApprovalPolicy> {
  return (
    (db.models.ApprovalPolicy as Model<ApprovalPolicy> | undefined) ??
    db.model('ApprovalPolicy', policySchema)
  );
}

/** Approval policies: each published edit is a new version in the store's log. */
export class PolicyRepository {
  readonly store: VersionedStore<ApprovalPolicy>;
  private readonly model: Model<ApprovalPolicy>;

  constructor(db: Connection, options: { onCommitted?: () => void; logger?: Logger } = {}) {
    this.model = policyModel(db);
    this.store = new VersionedStore<ApprovalPolicy>({ db, collection: 'approval_policies', ...options });
  }

  findById(id: string): Promise<ApprovalPolicy | null> {
    return this.store.peek(id);
  }

  findByIds(ids: readonly string[]): Promise<ApprovalPolicy[]> {
    return findByKeys<ApprovalPolicy>(this.model, '_id', ids);
  }

  /** Every policy, by name: there are tens of them, read whole. */
  async list(): Promise<ApprovalPolicy[]> {
    const rows = await this.model.find().lean<ApprovalPolicy[]>().exec();
    return rows.sort((a, b) => a.name.localeCompare(b.name) || a._id.localeCompare(b._id));
  }
}
