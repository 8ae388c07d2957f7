import { documentKey, findByKeys, withDocumentLocks } from '@concierge/kit';
import type { DeputyModel, DeputyRecord } from './deputy.model';

/** The projection of delegations; plain objects. */
export class DeputyRepository {
  constructor(private readonly model: DeputyModel) {}

  /** The delegations given by any of these users (equality lookups). */
  givenBy(userIds: readonly string[]): Promise<DeputyRecord[]> {
    return findByKeys<DeputyRecord>(this.model, 'delegatorId', userIds);
  }

  /** The delegations received by any of these users (equality lookups). */
  receivedBy(userIds: readonly string[]): Promise<DeputyRecord[]> {
    return findByKeys<DeputyRecord>(this.model, 'deputyId', userIds);
  }

  async upsert(record: DeputyRecord): Promise<void> {
    const { _id, ...fields } = record;
    await withDocumentLocks([documentKey('deputies', _id)], () =>
      this.model.updateOne({ _id }, { $set: fields }, { upsert: true }).exec(),
    );
  }

  /** Marks a delegation ended (a repeat keeps the first time). */
  async end(id: string, at: Date): Promise<void> {
    await withDocumentLocks([documentKey('deputies', id)], () =>
      this.model.updateOne({ _id: id, endedAt: null }, { $set: { endedAt: at } }).exec(),
    );
  }
}
