import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from './batch';

/**
 * Due work by equality. A document that falls due at some time carries the minute it falls due in,
 * as a string (`dueBucket`, e.g. "2026-12-01T21:40"), on an indexed top-level field. A sweep looks
 * up each minute from where the last one stopped up to now with one equality query per minute, so
 * it costs what is due, not what is stored: a range query on a date would read the whole
 * collection on FerretDB (README, "Storage"). Minutes missed while the service was down are looked
 * up on the next start.
 */
const MINUTE = 60_000;

/** The minute `at` falls in, in UTC: the value stored in `dueBucket` and looked up by a sweep. */
export function dueBucket(at: Date): string {
  return new Date(Math.floor(at.getTime() / MINUTE) * MINUTE).toISOString().slice(0, 16);
}

/**
 * The bucket to store for work due at `at`: its own minute, or the current minute when `at` has
 * passed already, so that a sweep that has gone past `at` still finds it.
 */
export function dueBucketFor(at: Date, now: Date = new Date()): string {
  return dueBucket(at.getTime() > now.getTime() ? at : now);
}

function bucketStart(bucket: string): number {
  return Date.parse(`${bucket}:00.000Z`);
}

export interface DueSweeperOptions {
  /** Names the sweeper's cursor; replicas of one scheduler share it. */
  name: string;
  /** The service database; cursors live in its `due_cursors` collection, one document each. */
  db: Connection;
  /**
   * Runs before the very first sweep on a database, e.g. to give a bucket to documents written
   * before there were buckets. Runs again on the next sweep if it throws.
   */
  onFirstSweep?: () => Promise<void>;
  /**
   * How long after a minute ends it is still looked up again: writes that chose a bucket just
   * before it ended may land a little later.
   */
  graceMs?: number;
  /** How far back the very first sweep on a database looks. */
  firstLookbackMs?: number;
}

interface Cursor {
  _id: string;
  /** The last bucket that no longer needs a look: ended more than the grace ago, and processed. */
  swept: string;
}

/**
 * Sweeps due buckets in order. Several replicas may sweep at once: each document's work must be
 * claimed (a unique insert) by whoever does it, and a cursor moved back by a slower replica only
 * costs a few empty lookups.
 */
export class DueSweeper {
  private readonly graceMs: number;
  private readonly firstLookbackMs: number;

  constructor(private readonly options: DueSweeperOptions) {
    this.graceMs = options.graceMs ?? 2 * MINUTE;
    this.firstLookbackMs = options.firstLookbackMs ?? 60 * MINUTE;
  }

  /**
   * Hands every bucket from the cursor through the current minute to `process`, in order, and
   * moves the cursor past those that ended more than the grace ago. A bucket whose `process`
   * throws stops the sweep there, to be looked up again next time. Returns how many it handed over.
   */
  async sweep(now: Date, process: (bucket: string) => Promise<void>): Promise<number> {
    const cursors = this.options.db.collection<Cursor>('due_cursors');
    const cursor = await cursors.findOne({ _id: this.options.name });
    if (!cursor) await this.options.onFirstSweep?.();
    const from = cursor
      ? bucketStart(cursor.swept) + MINUTE
      : bucketStart(dueBucket(new Date(now.getTime() - this.firstLookbackMs)));
    const last = bucketStart(dueBucket(now));
    // A first sweep leaves a cursor even if no minute is done yet, so the hook runs once.
    let swept = cursor?.swept ?? dueBucket(new Date(from - MINUTE));
    let looked = 0;
    for (let start = from; start <= last; start += MINUTE) {
      const bucket = dueBucket(new Date(start));
      try {
        await process(bucket);
      } catch (err) {
        await this.save(cursors, swept, cursor?.swept);
        throw err;
      }
      looked++;
      // A bucket is done once it ended more than the grace ago; later ones are looked at again.
      if (start + MINUTE + this.graceMs <= now.getTime()) swept = bucket;
    }
    await this.save(cursors, swept, cursor?.swept);
    return looked;
  }

  private async save(cursors: Collection<Cursor>, swept: string, before: string | undefined): Promise<void> {
    if (swept === before) return;
    const filter = { _id: this.options.name };
    try {
      await cursors.updateOne(filter, { $set: { swept } }, { upsert: true });
    } catch (err) {
      // Another replica created the cursor at the same moment: then it exists, and this is an update.
      if (!isDuplicateKey(err)) throw err;
      await cursors.updateOne(filter, { $set: { swept } });
    }
  }
}
