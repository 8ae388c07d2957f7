import { isDuplicateKey, mapBounded } from '@concierge/kit';
import type { Collection, Db } from 'mongodb';
import type { UserRecord, UserStatus } from './user.model';

/**
 * What an import may know of a user without reading it: one small document per user, beside the
 * users. A user document carries its list buckets and search terms (about 2 KB), and FerretDB
 * decodes all of it for any read, so reading every user to learn which external keys exist, or to
 * find that a row is unchanged, costs about 0.4 ms a user. A mark costs a tenth of that.
 *
 * A mark names the user's external key, status and display name, and, when the import wrote or
 * checked the user, the digest of the row it applied. Every other write of the user marks it
 * stale first (and counts up `v`), so a mark that is not stale vouches that the user is still as
 * that row left it. An import vouches again only where `v` is still what it read: a write that
 * came in between leaves the mark stale, and the next import reads that user.
 */
export interface ImportMark {
  /** The user's id. */
  _id: string;
  /** `source:externalId`. */
  key?: string;
  status?: UserStatus;
  displayName?: string;
  /** The digest of the row the import last applied or found unchanged. */
  digest?: string;
  /** Counts the writes that marked it stale. */
  v: number;
  /** Written since the import last vouched for it: read the user. */
  stale?: true;
}

/** A user the import wrote or found unchanged, with what it read of the mark (`v`, none if none). */
export interface Vouch {
  userId: string;
  key: string;
  status: UserStatus;
  displayName: string;
  digest: string;
  v: number | null;
}

/** What a mark says of a user with an external key, without a digest. */
export function markFieldsOf(
  user: Pick<UserRecord, '_id' | 'externalKey' | 'status' | 'displayName'>,
): Omit<Vouch, 'digest' | 'v'> {
  return {
    userId: user._id,
    key: user.externalKey as string,
    status: user.status,
    displayName: user.displayName,
  };
}

/** A new user's mark: the digest of the row that created it, if an import did. */
export type NewMark = Omit<Vouch, 'v' | 'digest'> & { digest?: string | undefined };

const COLLECTION = 'user_import_marks';
/** Marks that every user with an external key has a mark (`fillMissing`). */
const FILLED = '#filled';
/** Marks written at once. */
const AT_ONCE = 8;

export class ImportMarks {
  private readonly marks: Collection<ImportMark>;

  constructor(db: Db) {
    this.marks = db.collection<ImportMark>(COLLECTION);
  }

  /** Before any write of a user that is not an import's: the mark stops vouching for it. */
  async unvouch(userId: string): Promise<void> {
    await this.marks.updateOne({ _id: userId }, { $set: { stale: true }, $inc: { v: 1 } }, { upsert: true });
  }

  /** The marks of users just created (v 0); one that exists already was written since, and stays. */
  async created(marks: readonly NewMark[]): Promise<void> {
    await this.insertNew(marks.map((m) => ({ ...markOf(m), v: 0 })));
  }

  /** Inserts marks; one that exists already stays as it is. */
  private async insertNew(marks: ImportMark[]): Promise<void> {
    if (marks.length === 0) return;
    try {
      await this.marks.insertMany(marks, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Vouches for users the import wrote or found unchanged, where nobody wrote them since `v`. */
  async vouch(marks: readonly Vouch[]): Promise<void> {
    const fresh = marks.filter((m) => m.v === null);
    await this.created(fresh);
    await mapBounded(
      marks.filter((m) => m.v !== null),
      AT_ONCE,
      (m) => {
        const { _id, ...fields } = markOf(m);
        return this.marks.updateOne({ _id, v: m.v as number }, { $set: fields, $unset: { stale: '' } });
      },
    );
  }

  /** Every mark with an external key. */
  async *all(): AsyncIterable<ImportMark> {
    const cursor = this.marks.find({ key: { $type: 'string' } }, { batchSize: 5_000 });
    for await (const mark of cursor) yield mark;
  }

  /**
   * Gives a mark, with no digest to vouch for, to users with an external key written before marks
   * existed: one scan of `users`, once per database. A user written meanwhile was marked by its
   * writer before the write, and keeps that mark.
   */
  async fillMissing(
    users: () => AsyncIterable<Pick<Vouch, 'userId' | 'key' | 'status' | 'displayName'>>,
  ): Promise<number> {
    if (await this.marks.findOne({ _id: FILLED })) return 0;
    let batch: ImportMark[] = [];
    let filled = 0;
    const flush = async () => {
      await this.insertNew(batch);
      filled += batch.length;
      batch = [];
    };
    for await (const u of users()) {
      batch.push({ _id: u.userId, key: u.key, status: u.status, displayName: u.displayName, v: 0 });
      if (batch.length >= 1_000) await flush();
    }
    if (batch.length > 0) await flush();
    await this.marks.replaceOne({ _id: FILLED }, { v: 0 }, { upsert: true });
    return filled;
  }
}

function markOf(m: NewMark): Omit<ImportMark, 'v'> {
  const mark: Omit<ImportMark, 'v'> = {
    _id: m.userId,
    key: m.key,
    status: m.status,
    displayName: m.displayName,
  };
  if (m.digest) mark.digest = m.digest;
  return mark;
}
