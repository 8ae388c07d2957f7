import type { UserRepository, User } from '../directory/user.repository';
import type { ImportMark } from '../directory/import-marks';
import type { ManagerRef } from '../directory/placement';

/**
 * The external keys of the directory, read once when a long import starts from the users' import
 * marks (data/import-marks.ts), so that its batches need not ask the store which of their rows
 * exist, nor read the rows that an earlier import applied and nobody changed since.
 *
 * The index answers "might this key exist?" with no false negatives for users that existed at the
 * start or that this import created; a user created meanwhile by someone else is caught by the
 * unique index on insert, and the upsert then marks the key and reads it like any existing one.
 * Memory grows with the directory's users that have an external key (about 200 bytes each), not
 * with the file.
 */
export class KnownUsers {
  private readonly ids = new Map<string, string>();
  /** Terminated users' names, for the error that refuses them as managers. */
  private readonly terminated = new Map<string, string>();
  /** Keys that exist although the index did not know them. */
  private readonly suspects = new Set<string>();
  /** Marks as read at the start, by key: what they vouch for, and their count of writes. */
  private readonly marks = new Map<string, { digest: string | undefined; v: number; stale: boolean }>();

  static async load(users: UserRepository): Promise<KnownUsers> {
    await users.fillMissingImportMarks();
    const known = new KnownUsers();
    for await (const mark of users.importMarks.all()) known.read(mark);
    return known;
  }

  private read(mark: ImportMark): void {
    const key = mark.key as string;
    const stale = mark.stale === true;
    this.marks.set(key, { digest: stale ? undefined : mark.digest, v: mark.v, stale });
    this.ids.set(key, mark._id);
    // A stale mark's status may be out of date: such a manager is read from the store.
    if (stale) this.suspects.add(key);
    else if (mark.status === 'TERMINATED') this.terminated.set(key, mark.displayName ?? '');
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
   * The user's id when its mark vouches that the user is as the row with this digest left it:
   * then the row is unchanged, with nothing to read.
   */
  unchanged(key: string, digest: string): string | undefined {
    const mark = this.marks.get(key);
    return mark && !mark.stale && mark.digest === digest ? this.ids.get(key) : undefined;
  }

  /**
   * The count of writes the mark had when read (null when there was none), for vouching again:
   * the upsert's own write of the user counts one more.
   */
  versionOf(key: string): number | null {
    return this.marks.get(key)?.v ?? null;
  }

  /** Forgets what the mark of a user written since the start vouched for. */
  forget(key: string): void {
    this.marks.delete(key);
  }

  /**
   * A user named as a new user's manager, without reading them. It carries no manager of its own,
   * so it serves only where no manager chain is walked: placing a user who is being created.
   */
  managerRef(key: string): ManagerRef | undefined {
    if (this.suspects.has(key)) return undefined;
    const id = this.ids.get(key);
    if (id === undefined) return undefined;
    const name = this.terminated.get(key);
    return name === undefined
      ? { _id: id, status: 'ACTIVE', displayName: '', managerId: null }
      : { _id: id, status: 'TERMINATED', displayName: name, managerId: null };
  }
}
