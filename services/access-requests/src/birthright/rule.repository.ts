import { Schema, type Connection, type Model } from 'mongoose';
import { VersionedStore, type Logger } from '@concierge/kit';
import type { BirthrightRule } from './birthright-rule';

const ruleSchema = new Schema<BirthrightRule>(
  { _id: { type: String, required: true }, version: { type: Number, required: true } },
  // The store writes whole documents; rules are read whole (there are tens of them).
  { collection: 'birthright_rules', versionKey: false, strict: false },
);

function ruleModel(db: Connection): Model<BirthrightRule> {
  return (
    (db.models.BirthrightRule as Model<BirthrightRule> | undefined) ?? db.model('BirthrightRule', ruleSchema)
  );
}

/** Birthright rules, versioned. */
export class RuleRepository {
  readonly store: VersionedStore<BirthrightRule>;
  private readonly model: Model<BirthrightRule>;

  constructor(db: Connection, options: { onCommitted?: () => void; logger?: Logger } = {}) {
    this.model = ruleModel(db);
    this.store = new VersionedStore<BirthrightRule>({ db, collection: 'birthright_rules', ...options });
  }

  findById(id: string): Promise<BirthrightRule | null> {
    return this.store.peek(id);
  }

  /** Every rule that is not deleted, oldest first: a handful, read whole at each evaluation. */
  async active(): Promise<BirthrightRule[]> {
    const rows = await this.model.find({ deleted: false }).lean<BirthrightRule[]>().exec();
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a._id.localeCompare(b._id));
  }
}
