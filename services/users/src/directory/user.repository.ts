import {
  CreationOutbox,
  documentKey,
  dueBucketFor,
  findByKeys,
  isDuplicateKey,
  comparePositions as comparePosition,
  mapBounded,
  OrderedBuckets,
  outboxInsert,
  outboxUpdate,
  withDocumentLocks,
  writeErrorIndexes,
  type EventEnvelope,
} from '@concierge/kit';
import type { FilterQuery } from 'mongoose';
import type { EmployeeType, UserModel, UserRecord, UserStatus } from './user.model';
import { pendingManagerModel, type PendingManagerRecord } from './pending-manager.model';
import { ImportMarks, markFieldsOf } from './import-marks';
import {
  EVERYONE,
  LISTING_INPUTS,
  listEntries,
  listingFields,
  lookupTerm,
  matchesWords,
  organizationScope,
  positionOf,
  USER_ORDERS,
  type UserSortField,
} from './user-listing';

export type { UserSortField } from './user-listing';

/**
 * A user as the domain sees it: plain data without the outbox. `outboxSeq` grows with every write
 * that carries events (all of them do), so it serves as the version a compare-and-set checks.
 */
export type User = Omit<UserRecord, 'outbox' | 'outboxPending' | 'dueBucket' | 'listBuckets' | 'searchTerms'>;

const PUBLIC = { outbox: 0, outboxPending: 0, dueBucket: 0, listBuckets: 0, searchTerms: 0 } as const;

/** Stored fields a write computes and a read leaves out. */
function plainUser(record: UserRecord): User {
  const { outbox: _o, outboxPending: _p, dueBucket: _b, listBuckets: _l, searchTerms: _t, ...plain } = record;
  return plain;
}

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

/** What users(filter, first, after) asks the store for. */
export interface UserQuery {
  organizationIds?: string[];
  status?: UserStatus[];
  managerId?: string;
  employeeType?: EmployeeType[];
  /**
   * The folded words of a search text (data/user-listing.ts): each must start a word of the
   * user's names, e-mail address or username; a word shorter than three characters must be one.
   */
  words?: string[];
  sort: UserSortField;
  /** Keyset position: the sort key (user-listing sortKey) and id of the last row already seen. */
  after?: { key: string; id: string };
  limit: number;
}

/** Marks, among the list buckets, that every user has its listing fields (fillMissingListing). */
const LISTING_FILLED = '#listing-filled';

/**
 * A search term found with more users than this is walked in name order instead (list): reading
 * every match costs `matches`, walking costs about `page / share`, equal near the square root of
 * page × users (1,400 at 100,000 users).
 */
const FREQUENT_TERM = 1_500;
/** Where the marks of fillMissingListing and of frequent terms live, beside the list buckets. */
const MARKS = 'user_list_buckets';

/** Pages of different organisations read at once. */
const SCOPES_AT_ONCE = 4;

/** Reads and writes users; returns plain objects. */
export class UserRepository {
  private readonly buckets: OrderedBuckets;

  private readonly frequentTerm: number;

  /** What an import knows of users without reading them; every write here keeps it honest. */
  readonly importMarks: ImportMarks;

  /** `frequentTerm`: see FREQUENT_TERM (tests lower it). */
  constructor(
    readonly model: UserModel,
    options: { frequentTerm?: number } = {},
  ) {
    this.frequentTerm = options.frequentTerm ?? FREQUENT_TERM;
    this.importMarks = new ImportMarks(model.db.db as NonNullable<typeof model.db.db>);
    this.buckets = OrderedBuckets.of(model.db.db as NonNullable<typeof model.db.db>, {
      collectionName: MARKS,
      scan: async (bucket, order) => {
        const sort = (Object.keys(USER_ORDERS) as UserSortField[]).find((k) => USER_ORDERS[k] === order);
        const rows = await this.model
          .find({ listBuckets: bucket }, { _id: 1, displayName: 1, email: 1, createdAt: 1 })
          .lean<Pick<User, '_id' | 'displayName' | 'email' | 'createdAt'>[]>()
          .exec();
        return rows.map((u) => positionOf(sort as UserSortField, u));
      },
    });
  }

  /** The listing fields of `users` after a write, their buckets recorded first (see OrderedBuckets). */
  private async listed<T extends Parameters<typeof listingFields>[0]>(
    users: readonly T[],
  ): Promise<(T & ReturnType<typeof listingFields>)[]> {
    const rows = users.map((u) => ({ ...u, ...listingFields(u) }));
    await this.buckets.ensure(rows.flatMap((r) => listEntries(r)));
    return rows;
  }

  /** After `listed` rows were written: their buckets under splits begun meanwhile (OrderedBuckets). */
  private async written(rows: readonly Parameters<typeof listEntries>[0][]): Promise<void> {
    await this.buckets.written(rows.flatMap((r) => listEntries(r)));
  }

  /** The creation outbox of bulk-created users' events (kit CreationOutbox). */
  creations(): CreationOutbox {
    return CreationOutbox.of(this.model.db.db as NonNullable<typeof this.model.db.db>, 'users');
  }

  /**
   * Users whose events wait for the relay: those with pending outbox events, and those staged in
   * the creation outbox. Scans both (for an operator's summary after a failed send, not a hot path).
   */
  async unpublished(): Promise<number> {
    const pending = await this.model.countDocuments({ outboxPending: true }).exec();
    return pending + (await this.creations().staged());
  }

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

  /** The user with this e-mail address (normalised); an equality on its unique index. */
  async findByEmail(email: string): Promise<User | null> {
    return this.model.findOne({ email }, PUBLIC).lean<User>().exec();
  }

  /** The user an external identity (`issuer#subject`, see UserRecord) belongs to. */
  async findByExternalSubject(key: string): Promise<User | null> {
    return this.model.findOne({ externalSubject: key }, PUBLIC).lean<User>().exec();
  }

  /** Which of these e-mails and usernames belong to some user already (a dry-run import's check). */
  async takenLogins(emails: string[], usernames: string[]): Promise<Set<string>> {
    const projection = { email: 1, username: 1 } as const;
    const rows = [
      ...(await findByKeys<Pick<User, 'email' | 'username'>>(this.model, 'email', emails, { projection })),
      ...(await findByKeys<Pick<User, 'email' | 'username'>>(this.model, 'username', usernames, {
        projection,
      })),
    ];
    const foundEmails = new Set(rows.map((r) => r.email));
    const foundUsernames = new Set(rows.map((r) => r.username));
    return new Set([
      ...emails.filter((e) => foundEmails.has(e)),
      ...usernames.filter((u) => foundUsernames.has(u)),
    ]);
  }

  /**
   * A page of users in (sort key, id) order after `query.after`; every read is an equality on an
   * indexed field (README, "Storage"). A manager's reports and a search for a rare word read
   * their few matches and order them here. A list of organisations or of everyone is read bucket
   * by bucket, and so is a search for a frequent word, its matches kept as the walk goes: that
   * reads about `limit / share` users instead of every match.
   */
  async list(query: UserQuery): Promise<User[]> {
    const narrow = this.narrowFilter(query);
    if (narrow && !(query.words && !query.managerId && (await this.isFrequent(lookupTerm(query.words))))) {
      const found = await this.model
        .find({ ...narrow, ...this.storeFilter(query) }, PUBLIC)
        .lean<User[]>()
        .exec();
      if (query.words && found.length > this.frequentTerm) await this.markFrequent(lookupTerm(query.words));
      return this.pageOf(
        found.filter((u) => this.matches(u, query)),
        query,
      );
    }
    const order = USER_ORDERS[query.sort];
    const scopes = query.organizationIds ?? [null];
    const pages = await mapBounded(scopes, SCOPES_AT_ONCE, (organizationId) =>
      this.buckets.page(
        organizationId ? organizationScope(organizationId) : EVERYONE,
        order,
        query.after,
        query.limit,
        async (bucket) => {
          const found = await this.model
            .find(
              {
                listBuckets: bucket,
                ...(organizationId ? { organizationId } : {}),
                ...this.storeFilter(query),
              },
              PUBLIC,
            )
            .lean<User[]>()
            .exec();
          return query.words ? found.filter((u) => matchesWords(u, query.words as string[])) : found;
        },
        (u) => positionOf(query.sort, u),
      ),
    );
    return this.pageOf(pages.flat(), query);
  }

  /** The first `limit` of `rows` after `query.after`, in the query's order. */
  private pageOf(rows: User[], query: Pick<UserQuery, 'sort' | 'after' | 'limit'>): User[] {
    return rows
      .map((u) => ({ u, at: positionOf(query.sort, u) }))
      .filter(({ at }) => !query.after || comparePosition(at, query.after) > 0)
      .sort((a, b) => comparePosition(a.at, b.at))
      .slice(0, query.limit)
      .map(({ u }) => u);
  }

  /** Whether a search found more than `frequentTerm` users with this term before. */
  private async isFrequent(term: string): Promise<boolean> {
    return (await this.marks().countDocuments({ _id: `term|${term}` })) > 0;
  }

  private async markFrequent(term: string): Promise<void> {
    await this.marks().replaceOne({ _id: `term|${term}` }, { at: new Date() }, { upsert: true });
  }

  private marks() {
    return this.model.db.collection<{ _id: string; at: Date }>(MARKS);
  }

  /**
   * How many users match. Costs the matching users (one equality per organisation, or the
   * search's or manager's matches); without a filter, the whole collection.
   */
  async count(query: Omit<UserQuery, 'after' | 'limit' | 'sort'>): Promise<number> {
    const narrow = this.narrowFilter(query);
    if (narrow && (query.words || query.organizationIds)) {
      const rows = await this.model
        .find({ ...narrow, ...this.storeFilter(query) }, PUBLIC)
        .lean<User[]>()
        .exec();
      return rows.filter((u) => this.matches(u, query)).length;
    }
    if (narrow) return this.model.countDocuments({ ...narrow, ...this.storeFilter(query) }).exec();
    if (!query.organizationIds) return this.model.countDocuments(this.storeFilter(query)).exec();
    const counts = await mapBounded(query.organizationIds, SCOPES_AT_ONCE, (organizationId) =>
      this.model.countDocuments({ organizationId, ...this.storeFilter(query) }).exec(),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The equality that finds few users, when the query has one: the manager, or the search term. */
  private narrowFilter(query: Pick<UserQuery, 'managerId' | 'words'>): FilterQuery<UserRecord> | null {
    const filter: FilterQuery<UserRecord> = {};
    if (query.managerId) filter.managerId = query.managerId;
    if (query.words?.length) filter.searchTerms = lookupTerm(query.words);
    return Object.keys(filter).length > 0 ? filter : null;
  }

  /** Conditions the store applies to the rows an equality found (never pushed to an index). */
  private storeFilter(query: Pick<UserQuery, 'status' | 'employeeType'>): FilterQuery<UserRecord> {
    const filter: FilterQuery<UserRecord> = {};
    if (query.status) filter.status = query.status.length === 1 ? query.status[0] : { $in: query.status };
    if (query.employeeType) {
      filter.employeeType =
        query.employeeType.length === 1 ? query.employeeType[0] : { $in: query.employeeType };
    }
    return filter;
  }

  /** The conditions checked here: organisations beside a narrow lookup, and every search word. */
  private matches(user: User, query: Pick<UserQuery, 'organizationIds' | 'words'>): boolean {
    if (query.organizationIds && !query.organizationIds.includes(user.organizationId)) return false;
    return !query.words || matchesWords(user, query.words);
  }

  /** Inserts the user and its events in one document write (transactional outbox). */
  async insert(
    user: Omit<User, 'createdAt' | 'updatedAt' | 'outboxSeq'>,
    events: EventEnvelope[],
  ): Promise<User> {
    const now = new Date();
    const [row] = await this.listed([{ ...user, createdAt: now, updatedAt: now }]);
    try {
      const created = await this.model.create({
        ...withDueBucket(row as typeof user),
        ...outboxInsert(events),
      });
      await this.written([created.toObject()]);
      const plain = plainUser(created.toObject());
      if (plain.externalKey) await this.importMarks.created([markFieldsOf(plain)]);
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
    await this.importMarks.unvouch(id);
    const update = outboxUpdate(events);
    const key = documentKey(this.model.collection.collectionName, id);
    const unset = Object.fromEntries((change.unset ?? []).map((k) => [k, 1]));
    const relisted = LISTING_INPUTS.some((field) => field in change.set);
    try {
      let listedRow: User | undefined;
      const result = await withDocumentLocks([key], async () => {
        let listing = {};
        if (relisted) {
          // The listing fields follow from the whole user; read it under the lock, at the expected version.
          const current = await this.model.findById(id, PUBLIC).lean<User>().exec();
          if (!current || current.outboxSeq !== expectedSeq) return { modifiedCount: 0 };
          const [row] = await this.listed([{ ...current, ...change.set }]);
          listedRow = row;
          listing = { listBuckets: row?.listBuckets, searchTerms: row?.searchTerms };
        }
        return this.model
          .updateOne(
            { _id: id, outboxSeq: expectedSeq ?? { $exists: false } },
            {
              ...update,
              $set: { ...update.$set, ...withDueBucket(change.set), ...listing },
              ...(change.unset?.length ? { $unset: unset } : {}),
            },
          )
          .exec();
      });
      if (result.modifiedCount === 1 && listedRow) await this.written([listedRow]);
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
    await this.importMarks.unvouch(id);
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
   * Gives the listing fields to users written before they existed: one pass over the users
   * without them, run once at start. Returns how many it changed.
   */
  async fillMissingListing(): Promise<number> {
    const marks = this.marks();
    if (await marks.findOne({ _id: LISTING_FILLED })) return 0;
    const rows = await this.model
      .find({ listBuckets: { $exists: false } }, PUBLIC)
      .lean<User[]>()
      .exec();
    const listed = await this.listed(rows);
    for (const row of listed) {
      const key = documentKey(this.model.collection.collectionName, row._id);
      await withDocumentLocks([key], () =>
        this.model
          .updateOne(
            { _id: row._id, listBuckets: { $exists: false } },
            { $set: { listBuckets: row.listBuckets, searchTerms: row.searchTerms } },
          )
          .exec(),
      );
    }
    await this.written(listed);
    await marks.replaceOne({ _id: LISTING_FILLED }, { at: new Date() }, { upsert: true });
    return rows.length;
  }

  /** Gives an import mark to users with an external key written before marks existed (once). */
  async fillMissingImportMarks(): Promise<number> {
    const model = this.model;
    return this.importMarks.fillMissing(async function* () {
      const cursor = model.collection.find(
        { externalKey: { $type: 'string' } },
        { projection: { _id: 1, externalKey: 1, status: 1, displayName: 1 }, batchSize: 5_000 },
      );
      for await (const doc of cursor) {
        yield markFieldsOf(doc as unknown as Pick<User, '_id' | 'externalKey' | 'status' | 'displayName'>);
      }
    });
  }

  /**
   * Inserts users created in bulk (an import) in one unordered write, each with its due bucket and
   * an empty outbox: their events travel through the creation outbox. A duplicate key fails only
   * its own row; the error's `writeErrors` name them.
   */
  async insertMany(users: readonly User[], digests?: ReadonlyMap<string, string>): Promise<void> {
    const rows = await this.listed(users);
    const docs = rows.map((u) => ({ ...withDueBucket(u), ...outboxInsert([]) }));
    // Which rows landed is known after a success or a duplicate key (its `writeErrors` name the
    // refused rows); after any other failure none gets a mark, and the import reads them.
    let refused: Set<number> | null = new Set<number>();
    try {
      await this.model.collection.insertMany(docs as never[], { ordered: false });
    } catch (err) {
      refused = isDuplicateKey(err) ? writeErrorIndexes(err) : null;
      throw err;
    } finally {
      // Rows a duplicate key refused only cost a look at their buckets.
      await this.written(rows);
      const landed = refused;
      if (landed) {
        await this.importMarks.created(
          users
            .filter((u, i) => u.externalKey && !landed.has(i))
            .map((u) => ({ ...markFieldsOf(u), digest: digests?.get(u._id) })),
        );
      }
    }
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
