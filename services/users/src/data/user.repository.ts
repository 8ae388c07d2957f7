import {
  documentKey,
  dueBucketFor,
  findByKeys,
  isDuplicateKey,
  outboxInsert,
  outboxUpdate,
  withDocumentLocks,
  type EventEnvelope,
} from '@concierge/kit';
import type { FilterQuery } from 'mongoose';
import type { EmployeeType, UserModel, UserRecord, UserStatus } from './user.model';
import { pendingManagerModel, type PendingManagerRecord } from './pending-manager.model';

/**
 * A user as the domain sees it: plain data without the outbox. `outboxSeq` grows with every write
 * that carries events (all of them do), so it serves as the version a compare-and-set checks.
 */
export type User = Omit<UserRecord, 'outbox' | 'outboxPending' | 'dueBucket'>;

const PUBLIC = { outbox: 0, outboxPending: 0, dueBucket: 0 } as const;

/** The due bucket that goes with every write of `dueAt` (absent when the write leaves `dueAt` alone). */
function withDueBucket<T extends { dueAt?: Date | null }>(fields: T): T & { dueBucket?: string | null } {
  if (!('dueAt' in fields)) return fields;
  return { ...fields, dueBucket: fields.dueAt ? dueBucketFor(fields.dueAt) : null };
}

export type UniqueField = 'email' | 'username' | 'externalId';

export class DuplicateUserError extends Error {
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
  }
}

export type UserSortField = 'displayName' | 'email' | 'createdAt';

/** What users(filter, first, after) asks the store for. */
export interface UserQuery {
  organizationIds?: string[];
  status?: UserStatus[];
  managerId?: string;
  employeeType?: EmployeeType[];
  /** Case-insensitive text matched in display name, e-mail and username. */
  text?: string;
  sort: UserSortField;
  /** Keyset position: the sort value and id of the last row already seen. */
  after?: { value: string | Date; id: string };
  limit: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads and writes users; returns plain objects. */
export class UserRepository {
  constructor(readonly model: UserModel) {}

  async findById(id: string): Promise<User | null> {
    return this.model.findById(id, PUBLIC).lean<User>().exec();
  }

  /** Users by id (DataLoader batches). */
  async findByIds(ids: readonly string[]): Promise<User[]> {
    return findByKeys<User>(this.model, '_id', ids, { projection: PUBLIC });
  }

  /** The direct reports of many managers, each manager's by name (DataLoader batches). */
  async findByManagerIds(managerIds: readonly string[]): Promise<User[]> {
    return findByKeys<User>(this.model, 'managerId', managerIds, {
      projection: PUBLIC,
      sort: { displayName: 1, _id: 1 },
    });
  }

  /** Users by `source:externalId` keys (imports and the HR feed). */
  async findByExternalKeys(keys: readonly string[]): Promise<User[]> {
    return findByKeys<User>(this.model, 'externalKey', keys, { projection: PUBLIC });
  }

  /** Which of these e-mails and usernames belong to some user already (a dry-run import's check). */
  async takenLogins(emails: string[], usernames: string[]): Promise<Set<string>> {
    const rows = await this.model
      .find(
        { $or: [{ email: { $in: emails } }, { username: { $in: usernames } }] },
        { email: 1, username: 1 },
      )
      .lean<Pick<User, 'email' | 'username'>[]>()
      .exec();
    const foundEmails = new Set(rows.map((r) => r.email));
    const foundUsernames = new Set(rows.map((r) => r.username));
    return new Set([
      ...emails.filter((e) => foundEmails.has(e)),
      ...usernames.filter((u) => foundUsernames.has(u)),
    ]);
  }

  /** A page of users, keyset-paginated on (sort field, id). */
  async list(query: UserQuery): Promise<User[]> {
    const filter = this.filterOf(query);
    if (query.after) {
      const { value, id } = query.after;
      const position: FilterQuery<UserRecord> = {
        $or: [{ [query.sort]: { $gt: value } }, { [query.sort]: value, _id: { $gt: id } }],
      };
      Object.assign(filter, filter.$or ? { $and: [{ $or: filter.$or }, position] } : position);
      if (filter.$and) delete filter.$or;
    }
    return this.model
      .find(filter, PUBLIC)
      .sort({ [query.sort]: 1, _id: 1 })
      .limit(query.limit)
      .lean<User[]>()
      .exec();
  }

  async count(query: Omit<UserQuery, 'after' | 'limit' | 'sort'>): Promise<number> {
    return this.model.countDocuments(this.filterOf(query)).exec();
  }

  private filterOf(query: Omit<UserQuery, 'after' | 'limit' | 'sort'>): FilterQuery<UserRecord> {
    const filter: FilterQuery<UserRecord> = {};
    if (query.organizationIds) filter.organizationId = { $in: query.organizationIds };
    if (query.status) filter.status = { $in: query.status };
    if (query.managerId) filter.managerId = query.managerId;
    if (query.employeeType) filter.employeeType = { $in: query.employeeType };
    if (query.text) {
      const pattern = new RegExp(escapeRegex(query.text), 'i');
      filter.$or = [{ displayName: pattern }, { email: pattern }, { username: pattern }];
    }
    return filter;
  }

  /** Inserts the user and its events in one document write (transactional outbox). */
  async insert(
    user: Omit<User, 'createdAt' | 'updatedAt' | 'outboxSeq'>,
    events: EventEnvelope[],
  ): Promise<User> {
    try {
      const created = await this.model.create({ ...withDueBucket(user), ...outboxInsert(events) });
      const { outbox: _o, outboxPending: _p, dueBucket: _b, ...plain } = created.toObject();
      return plain;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateUserError(await this.duplicateField(user));
      throw err;
    }
  }

  /**
   * Which unique field a rejected write collides on. FerretDB's duplicate-key error does not name
   * the index, so the store is asked (only on this error path).
   */
  async duplicateField(
    user: Pick<User, 'email' | 'username' | 'externalKey'>,
    exceptId?: string,
  ): Promise<UniqueField> {
    const other = exceptId ? { _id: { $ne: exceptId } } : {};
    if (await this.model.exists({ email: user.email, ...other })) return 'email';
    if (await this.model.exists({ username: user.username, ...other })) return 'username';
    if (user.externalKey && (await this.model.exists({ externalKey: user.externalKey, ...other }))) {
      return 'externalId';
    }
    return 'email';
  }

  /**
   * Writes `change` with its events if the user is still at version `expectedSeq`; false when
   * someone else wrote first. A duplicate unique value is DuplicateUserError.
   */
  async update(
    id: string,
    expectedSeq: number | undefined,
    change: { set: Partial<User>; unset?: (keyof User)[] },
    events: EventEnvelope[],
  ): Promise<boolean> {
    const update = outboxUpdate(events);
    const key = documentKey(this.model.collection.collectionName, id);
    const unset = Object.fromEntries((change.unset ?? []).map((k) => [k, 1]));
    try {
      const result = await withDocumentLocks([key], () =>
        this.model
          .updateOne(
            { _id: id, outboxSeq: expectedSeq ?? { $exists: false } },
            {
              ...update,
              $set: { ...update.$set, ...withDueBucket(change.set) },
              ...(change.unset?.length ? { $unset: unset } : {}),
            },
          )
          .exec(),
      );
      return result.modifiedCount === 1;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const current = { ...((await this.findById(id)) as User), ...change.set };
      throw new DuplicateUserError(await this.duplicateField(current, id));
    }
  }

  /**
   * Applies a lifecycle change only if the user is still as the caller last read it (`expected`),
   * together with its events in the same write. Returns false when someone else changed it first:
   * this compare-and-set is also what lets only one scheduler replica fire a due transition.
   */
  async transition(
    id: string,
    expected: Pick<User, 'status' | 'dueAt'>,
    change: Partial<Pick<User, 'status' | 'dueAt' | 'dueAction' | 'startDate' | 'endDate'>>,
    events: EventEnvelope[],
  ): Promise<boolean> {
    const update = outboxUpdate(events);
    const key = documentKey(this.model.collection.collectionName, id);
    const result = await withDocumentLocks([key], () =>
      this.model
        .updateOne(
          { _id: id, status: expected.status, dueAt: expected.dueAt },
          { ...update, $set: { ...update.$set, ...withDueBucket(change) } },
        )
        .exec(),
    );
    return result.modifiedCount === 1;
  }

  /** Claims one due transition for this replica; false when another replica claimed it first. */
  async claimDue(userId: string, action: string, dueAt: Date): Promise<boolean> {
    const claims = this.model.db.collection<{ _id: string }>('lifecycle_claims');
    try {
      await claims.insertOne({ _id: `${userId}|${action}|${dueAt.toISOString()}`, at: new Date() } as {
        _id: string;
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Users whose next transition falls in the minute `bucket` and is due by `now`, oldest first. */
  async findDueIn(bucket: string, now: Date): Promise<User[]> {
    const rows = await this.model.find({ dueBucket: bucket }, PUBLIC).lean<User[]>().exec();
    return rows
      .filter((u) => u.dueAt && u.dueAt.getTime() <= now.getTime())
      .sort((a, b) => (a.dueAt as Date).getTime() - (b.dueAt as Date).getTime());
  }

  /**
   * Gives a due bucket to users written before buckets existed: one scan, run by the scheduler's
   * first sweep on a database. Returns how many it changed.
   */
  async fillMissingDueBuckets(): Promise<number> {
    const rows = await this.model
      .find({ dueBucket: { $exists: false }, dueAt: { $ne: null } }, { _id: 1, dueAt: 1 })
      .lean<Pick<User, '_id' | 'dueAt'>[]>()
      .exec();
    for (const row of rows) {
      const key = documentKey(this.model.collection.collectionName, row._id);
      await withDocumentLocks([key], () =>
        this.model.updateOne({ _id: row._id }, { $set: withDueBucket({ dueAt: row.dueAt }) }).exec(),
      );
    }
    return rows.length;
  }

  /**
   * Inserts users created in bulk (an import) in one unordered write, each with its due bucket and
   * an empty outbox: their events travel through the creation outbox. A duplicate key fails only
   * its own row; the error's `writeErrors` name them.
   */
  async insertMany(users: readonly User[]): Promise<void> {
    const docs = users.map((u) => ({ ...withDueBucket(u), ...outboxInsert([]) }));
    await this.model.collection.insertMany(docs as never[], { ordered: false });
  }

  /** Users written before their manager existed, waiting for that manager (see PendingManagerRecord). */
  async waitingForManagers(): Promise<PendingManagerRecord[]> {
    return pendingManagerModel(this.model.db).find({}).lean<PendingManagerRecord[]>().exec();
  }

  /** Records that these users wait for these managers (replacing an earlier wait of the same user). */
  async waitForManagers(waits: readonly Omit<PendingManagerRecord, 'since'>[]): Promise<void> {
    const model = pendingManagerModel(this.model.db);
    const since = new Date();
    for (const wait of waits) {
      await model.replaceOne({ _id: wait._id }, { ...wait, since }, { upsert: true }).exec();
    }
  }

  /** Ends the waits of these users (`source:externalId` keys): resolved, or superseded by a later record. */
  async stopWaiting(userKeys: readonly string[]): Promise<void> {
    const model = pendingManagerModel(this.model.db);
    for (const key of userKeys) await model.deleteOne({ _id: key }).exec();
  }
}
