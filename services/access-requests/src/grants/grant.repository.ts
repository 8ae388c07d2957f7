import { Schema, type Connection, type Model } from 'mongoose';
import { ExclusiveKeys, findByKeys, VersionedStore, type Logger } from '@concierge/kit';
import { grantDue, holdingKey, isLive, type Grant } from './grant';

const grantSchema = new Schema<Grant>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    beneficiaryId: { type: String, required: true },
    entitlementId: { type: String, required: true },
    applicationId: { type: String, required: true },
    ruleId: { type: String, default: null },
  },
  // The store writes whole documents; the schema declares what queries and indexes use.
  { collection: 'grants', versionKey: false, strict: false },
);
// User.grants, termination and birthright: a person's grants.
grantSchema.index({ beneficiaryId: 1 });
// grants(filter: {entitlementId}): who holds an entitlement.
grantSchema.index({ entitlementId: 1 });
// grants(filter: {applicationId}): who holds something of an application.
grantSchema.index({ applicationId: 1 });

function grantModel(db: Connection): Model<Grant> {
  return (db.models.Grant as Model<Grant> | undefined) ?? db.model('Grant', grantSchema);
}

/** Grants: versioned, one live grant per person and entitlement (a claimed key), and the queries. */
export class GrantRepository {
  readonly store: VersionedStore<Grant>;
  private readonly model: Model<Grant>;
  private readonly holdings: ExclusiveKeys;

  constructor(db: Connection, options: { onCommitted?: () => void; logger?: Logger } = {}) {
    this.model = grantModel(db);
    this.store = new VersionedStore<Grant>({ db, collection: 'grants', dueAt: grantDue, ...options });
    this.holdings = new ExclusiveKeys(db, 'grant_holdings');
  }

  async init(): Promise<void> {
    await this.model.init();
    await this.store.init();
  }

  findById(id: string): Promise<Grant | null> {
    return this.store.peek(id);
  }

  findByIds(ids: readonly string[]): Promise<Grant[]> {
    return findByKeys<Grant>(this.model, '_id', ids);
  }

  /** Grants of many people (equality per person), for DataLoaders and termination. */
  ofBeneficiaries(ids: readonly string[]): Promise<Grant[]> {
    return findByKeys<Grant>(this.model, 'beneficiaryId', ids);
  }

  byEntitlement(entitlementId: string): Promise<Grant[]> {
    return this.model.find({ entitlementId }).lean<Grant[]>().exec();
  }

  byApplication(applicationId: string): Promise<Grant[]> {
    return this.model.find({ applicationId }).lean<Grant[]>().exec();
  }

  /** The live grant a person holds of an entitlement, if any. */
  async holding(beneficiaryId: string, entitlementId: string): Promise<Grant | null> {
    const id = await this.holdings.holder(holdingKey(beneficiaryId, entitlementId));
    const grant = id ? await this.store.peek(id) : null;
    return grant && isLive(grant) ? grant : null;
  }

  /** Claims the person's holding of an entitlement for a grant; the live holder's id when taken. */
  claimHolding(beneficiaryId: string, entitlementId: string, grantId: string): Promise<string | null> {
    return this.holdings.acquire(holdingKey(beneficiaryId, entitlementId), grantId, async (holder) => {
      const grant = await this.store.load(holder);
      return grant !== null && isLive(grant);
    });
  }

  releaseHolding(grant: Pick<Grant, '_id' | 'beneficiaryId' | 'entitlementId'>): Promise<void> {
    return this.holdings.release(holdingKey(grant.beneficiaryId, grant.entitlementId), grant._id);
  }
}
