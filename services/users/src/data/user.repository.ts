import { isDuplicateKey, outboxInsert, type EventEnvelope } from '@concierge/kit';
import type { UserModel, UserRecord } from './user.model';

/** A user as the domain sees it: plain data, no outbox internals. */
export type User = Omit<UserRecord, 'outbox' | 'outboxPending'>;

const PUBLIC = { outbox: 0, outboxPending: 0 } as const;

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
      const { outbox: _o, outboxPending: _p, ...plain } = created.toObject();
      return plain;
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateUserError('email');
      throw err;
    }
  }
}
