import type { UserRepository, User } from '../data/user.repository';
import type { ManagerRef } from '../domain/placement';

/**
 * The external keys of the directory, read once when a long import starts, so that its batches
 * need not ask the store which of their rows exist. On FerretDB over SQLite that `$in` read scans
 * the whole collection for every batch (1.3 s per 1,000 keys at 10,000 users, growing with the
 * directory), while one scan at the start costs the same as a single batch's.
 *
 * The index answers "might this key exist?" with no false negatives for users that existed at the
 * start or that this import created; a user created meanwhile by someone else is caught by the
 * unique index on insert, and the upsert then marks the key and reads it like any existing one.
 * Memory grows with the directory's users that have an external key (about 150 bytes each), not
 * with the file.
 */
export class KnownUsers {
  private readonly ids = new Map<string, string>();
  /** Terminated users' names, for the error that refuses them as managers. */
  private readonly terminated = new Map<string, string>();
  /** Keys that exist although the index did not know them. */
  private readonly suspects = new Set<string>();

  static async load(users: UserRepository): Promise<KnownUsers> {
    const known = new KnownUsers();
    const cursor = users.model.collection.find(
      { externalKey: { $type: 'string' } },
      { projection: { _id: 1, externalKey: 1, status: 1, displayName: 1 }, batchSize: 5_000 },
    );
    for await (const doc of cursor) {
      const user = doc as unknown as Pick<User, '_id' | 'externalKey' | 'status' | 'displayName'>;
      known.add(user.externalKey as string, user);
    }
    return known;
  }

  get size(): number {
    return this.ids.size;
  }

  add(key: string, user: Pick<User, '_id' | 'status' | 'displayName'>): void {
    this.ids.set(key, user._id);
    if (user.status === 'TERMINATED') this.terminated.set(key, user.displayName);
    else this.terminated.delete(key);
  }

  /** Whether the store must be read for this key (false: it did not exist, the insert can go ahead). */
  mayExist(key: string): boolean {
    return this.ids.has(key) || this.suspects.has(key);
  }

  /** A key someone else created while the import ran: from now on it is read like any existing one. */
  suspect(key: string): void {
    this.suspects.add(key);
  }

  /**
   * A user named as a new user's manager, without reading them. It carries no manager of its own,
   * so it serves only where no manager chain is walked: placing a user who is being created.
   */
  managerRef(key: string): ManagerRef | undefined {
    const id = this.ids.get(key);
    if (id === undefined) return undefined;
    const name = this.terminated.get(key);
    return name === undefined
      ? { _id: id, status: 'ACTIVE', displayName: '', managerId: null }
      : { _id: id, status: 'TERMINATED', displayName: name, managerId: null };
  }
}
