import {
  documentKey,
  isDuplicateKey,
  outboxInsert,
  outboxUpdate,
  withDocumentLocks,
  type EventEnvelope,
} from '@concierge/kit';
import type { OrganizationModel, OrganizationRecord } from './organization.model';

/** An organisation as the domain sees it. */
export type Organization = Omit<OrganizationRecord, 'outbox' | 'outboxPending' | 'outboxSeq'>;

const PUBLIC = { outbox: 0, outboxPending: 0, outboxSeq: 0 } as const;

export class DuplicateCodeError extends Error {
  constructor() {
    super('duplicate organisation code');
  }
}

/** Reads and writes organisations; returns plain objects. */
export class OrganizationRepository {
  constructor(private readonly model: OrganizationModel) {}

  /**
   * Every organisation, in one round trip. Organisation trees hold hundreds to a few thousand
   * nodes, so subtree and ancestor questions are answered in memory from this list.
   */
  async all(): Promise<Organization[]> {
    return this.model.find({}, PUBLIC).sort({ code: 1 }).lean<Organization[]>().exec();
  }

  async findById(id: string): Promise<Organization | null> {
    return this.model.findById(id, PUBLIC).lean<Organization>().exec();
  }

  async insert(
    org: Omit<Organization, 'createdAt' | 'updatedAt'>,
    events: EventEnvelope[],
  ): Promise<Organization> {
    try {
      const created = await this.model.create({ ...org, ...outboxInsert(events) });
      const { outbox: _o, outboxPending: _p, outboxSeq: _s, ...plain } = created.toObject();
      return plain;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateCodeError();
      throw err;
    }
  }

  /** Writes `change` with its events if the organisation still has `expected` values; false otherwise. */
  async update(
    id: string,
    expected: Partial<Pick<Organization, 'parentId' | 'updatedAt'>>,
    change: Partial<Pick<Organization, 'name' | 'parentId' | 'attributeDefinitions'>>,
    events: EventEnvelope[],
  ): Promise<boolean> {
    const update = outboxUpdate(events);
    const key = documentKey(this.model.collection.collectionName, id);
    const result = await withDocumentLocks([key], () =>
      this.model
        .updateOne({ _id: id, ...expected }, { ...update, $set: { ...update.$set, ...change } })
        .exec(),
    );
    return result.modifiedCount === 1;
  }
}
