import {
  documentKey,
  isDuplicateKey,
  outboxInsert,
  outboxUpdate,
  withDocumentLocks,
  type EventEnvelope,
} from '@concierge/kit';
import type { UserModel, UserRecord } from './user.model';

/** A user as the domain sees it: plain data, no outbox internals. */
export type User = Omit<UserRecord, 'outbox' | 'outboxPending' | 'outboxSeq'>;

const PUBLIC = { outbox: 0, outboxPending: 0, outboxSeq: 0 } as const;

export class DuplicateUserError extends Error {
  constructor(readonly field: 'email') {
    super(`duplicate ${field}`);
  }
}

/** Reads and writes users; returns plain objects. */
export class UserRepository {
  constructor(private readonly model: UserModel) {}

  async findById(id: string): Promise<User | null> {
    return this.model.findById(id, PUBLIC).lean<User>().exec();
  }

  /** One query for many ids (DataLoader batches). */
  async findByIds(ids: readonly string[]): Promise<User[]> {
    return this.model
      .find({ _id: { $in: [...ids] } }, PUBLIC)
      .lean<User[]>()
      .exec();
  }

  /** Inserts the user and its events in one document write (transactional outbox). */
  async insert(user: Omit<User, 'createdAt' | 'updatedAt'>, events: EventEnvelope[]): Promise<User> {
    try {
      const created = await this.model.create({ ...user, ...outboxInsert(events) });
      const { outbox: _o, outboxPending: _p, outboxSeq: _s, ...plain } = created.toObject();
      return plain;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateUserError('email');
      throw err;
    }
  }

  /**
   * Applies a change only if the user is still as the caller last read it (`expected`), together
   * with its events in the same write. Returns false when someone else changed it first: this
   * compare-and-set is also what lets only one scheduler replica fire a due transition.
   */
  async transition(
    id: string,
    expected: Pick<User, 'status' | 'dueAt'>,
    change: Partial<Pick<User, 'status' | 'dueAt' | 'dueAction'>>,
    events: EventEnvelope[],
  ): Promise<boolean> {
    const update = outboxUpdate(events);
    const key = documentKey(this.model.collection.collectionName, id);
    const result = await withDocumentLocks([key], () =>
      this.model
        .updateOne(
          { _id: id, status: expected.status, dueAt: expected.dueAt },
          { ...update, $set: { ...update.$set, ...change } },
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

  /** Users whose next transition fell due by `now`, oldest first. */
  async findDue(now: Date, limit: number): Promise<User[]> {
    return this.model
      .find({ dueAt: { $lte: now } }, PUBLIC)
      .sort({ dueAt: 1 })
      .limit(limit)
      .lean<User[]>()
      .exec();
  }
}
