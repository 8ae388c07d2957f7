import { findByKeys, insertAllNew } from '@concierge/kit';
import type { DelegationModel, DelegationRecord } from './delegation.model';

export type Delegation = DelegationRecord;

/** The delegations this service has heard of; written once each, read by id. */
export class DelegationRepository {
  constructor(private readonly model: DelegationModel) {}

  /** Stores the delegations not stored yet (a redelivered delegation.created adds nothing); the count stored. */
  async addOnce(delegations: readonly Delegation[]): Promise<number> {
    return insertAllNew(this.model.collection, delegations);
  }

  /** The known delegations among these ids, by id: one `_id` equality each on FerretDB (kit findByKeys). */
  async byIds(ids: readonly string[]): Promise<Map<string, Delegation>> {
    const found = await findByKeys<Delegation>(this.model, '_id', ids);
    return new Map(found.map((d) => [d._id, d]));
  }

  /** Creates the collection and its indexes. */
  async prepare(): Promise<void> {
    await this.model.init();
  }
}
