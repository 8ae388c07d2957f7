import { Schema, type Connection, type Model } from 'mongoose';
import { ExclusiveKeys, findByKeys, VersionedStore, type Logger } from '@concierge/kit';
import { nextDue, type AccessRequest, type RequestEffect } from './access-request';

const requestSchema = new Schema<AccessRequest>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    beneficiaryId: { type: String, required: true },
    requesterId: { type: String, required: true },
    approverIds: { type: [String], default: [] },
  },
  // The store writes whole documents; the schema declares what queries and indexes use.
  { collection: 'access_requests', versionKey: false, strict: false },
);
// User.accessRequests, and expiry on termination: the requests for a person.
requestSchema.index({ beneficiaryId: 1 });
// myRequests: the requests a person made.
requestSchema.index({ requesterId: 1 });
// myApprovals and User.pendingApprovals: the open tasks of an approver (equality on the array).
requestSchema.index({ approverIds: 1 });

function requestModel(db: Connection): Model<AccessRequest> {
  return (
    (db.models.AccessRequest as Model<AccessRequest> | undefined) ?? db.model('AccessRequest', requestSchema)
  );
}

/** The key at most one pending request holds: a person and an entitlement, or a grant to extend. */
export function pendingKey(
  r: Pick<AccessRequest, 'kind' | 'grantId' | 'beneficiaryId' | 'entitlementId'>,
): string {
  if (r.kind === 'EXTENSION') return `extension|${r.grantId}`;
  if (r.kind === 'REMOVAL') return `removal|${r.grantId}`;
  return `${r.beneficiaryId}|${r.entitlementId}`;
}

export interface RequestStoreOptions {
  onCommitted?: () => void;
  logger?: Logger;
  runEffects?: (effects: RequestEffect[], state: AccessRequest) => Promise<void>;
}

/** Access requests: versioned (decisions claimed by unique insert), one pending per key, and the queries. */
export class RequestRepository {
  readonly store: VersionedStore<AccessRequest, RequestEffect>;
  private readonly model: Model<AccessRequest>;
  private readonly pending: ExclusiveKeys;

  constructor(db: Connection, options: RequestStoreOptions = {}) {
    this.model = requestModel(db);
    this.store = new VersionedStore<AccessRequest, RequestEffect>({
      db,
      collection: 'access_requests',
      dueAt: nextDue,
      ...options,
    });
    this.pending = new ExclusiveKeys(db, 'pending_requests');
  }

  async init(): Promise<void> {
    await this.model.init();
    await this.store.init();
  }

  findById(id: string): Promise<AccessRequest | null> {
    return this.store.peek(id);
  }

  findByIds(ids: readonly string[]): Promise<AccessRequest[]> {
    return findByKeys<AccessRequest>(this.model, '_id', ids);
  }

  ofBeneficiaries(ids: readonly string[]): Promise<AccessRequest[]> {
    return findByKeys<AccessRequest>(this.model, 'beneficiaryId', ids);
  }

  ofRequester(id: string): Promise<AccessRequest[]> {
    return this.model.find({ requesterId: id }).lean<AccessRequest[]>().exec();
  }

  /** Requests where any of these users holds an open task now. */
  ofApprovers(ids: readonly string[]): Promise<AccessRequest[]> {
    return findByKeys<AccessRequest>(this.model, 'approverIds', ids);
  }

  /** Claims the pending key for a request; the id of another pending request that holds it. */
  claimPending(key: string, requestId: string): Promise<string | null> {
    return this.pending.acquire(
      key,
      requestId,
      async (holder) => (await this.store.load(holder))?.status === 'PENDING',
    );
  }

  releasePending(key: string, requestId: string): Promise<void> {
    return this.pending.release(key, requestId);
  }
}
