import { insertAllNew } from '@concierge/kit';
import type { FilterQuery } from 'mongoose';
import type { AuditModel, AuditRecord } from './audit.model';

export type { AuditRecord } from './audit.model';

/** What auditTrail(filter, first, after) asks the store for. All conditions must hold. */
export interface AuditQuery {
  actor?: string;
  targetId?: string;
  targetType?: string;
  /** An exact action, or every action starting with a prefix such as `user.`. */
  action?: { exact: string } | { prefix: string };
  /** Inclusive lower bound on the event time. */
  from?: Date;
  /** Exclusive upper bound on the event time. */
  to?: Date;
  /** Keyset position: the time and id of the last record already seen (newest first). */
  after?: { time: Date; id: string };
  limit: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The audit trail's store: insert-if-absent and query, nothing else (the trail is never edited). */
export class AuditRepository {
  constructor(private readonly model: AuditModel) {}

  /**
   * Stores the records in one write, leaving out those whose id (the event id) is stored already;
   * the count stored. Straight to the collection: the records are built whole by auditRecordOf.
   */
  async insertAllNew(records: AuditRecord[]): Promise<number> {
    return insertAllNew(this.model.collection, records);
  }

  /** A page of records, newest first, keyset-paginated on (time, _id) descending. */
  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const filter: FilterQuery<AuditRecord> = {};
    if (query.actor !== undefined) filter.actor = query.actor;
    if (query.targetId !== undefined) filter.targetId = query.targetId;
    if (query.targetType !== undefined) filter.targetType = query.targetType;
    if (query.action) {
      filter.action =
        'exact' in query.action
          ? query.action.exact
          : { $regex: new RegExp(`^${escapeRegex(query.action.prefix)}`) };
    }
    const conditions: FilterQuery<AuditRecord>[] = [];
    if (query.from) conditions.push({ time: { $gte: query.from } });
    if (query.to) conditions.push({ time: { $lt: query.to } });
    if (query.after) {
      const { time, id } = query.after;
      conditions.push({ $or: [{ time: { $lt: time } }, { time, _id: { $lt: id } }] });
    }
    if (conditions.length > 0) filter.$and = conditions;
    return this.model
      .find(filter)
      .sort({ time: -1, _id: -1 })
      .limit(query.limit)
      .lean<AuditRecord[]>()
      .exec();
  }
}
