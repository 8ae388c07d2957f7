import type { Collection, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from './batch';

/** Who holds a key, since when. */
export interface KeyHolder {
  _id: string;
  owner: string;
  since: Date;
}

/**
 * Keys at most one owner holds at a time, across processes: "one pending request per person and
 * entitlement", "one live grant per person and entitlement". A unique index cannot say this on
 * FerretDB (no partial indexes) and a check-then-insert races, so a key is a document whose `_id`
 * is the key, taken by insert. A holder that ended without letting go (a crash between taking the
 * key and writing its owner, or before releasing it) is recognised by asking whether the owner is
 * still live, and its key is taken over.
 */
export class ExclusiveKeys {
  private readonly keys: Collection<KeyHolder>;

  constructor(db: Connection, collection: string) {
    this.keys = db.collection<KeyHolder>(collection) as unknown as Collection<KeyHolder>;
  }

  /**
   * Takes `key` for `owner`. Returns null when `owner` holds it now (also when it held it already),
   * else the live owner that holds it. `isLive` answers whether another owner still holds it by
   * right; when it says no, that owner's key is taken over. A key taken within the last
   * `graceMs` is live whatever `isLive` says: its owner may still be writing what makes it live.
   */
  async acquire(
    key: string,
    owner: string,
    isLive: (owner: string) => Promise<boolean>,
    graceMs = 30_000,
  ): Promise<string | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.keys.insertOne({ _id: key, owner, since: new Date() });
        return null;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const held = await this.keys.findOne({ _id: key } as Filter<KeyHolder>);
      if (!held) continue; // released meanwhile
      if (held.owner === owner) return null;
      const young = Date.now() - held.since.getTime() < graceMs;
      if (!young && !(await isLive(held.owner))) {
        await this.keys.deleteOne({ _id: key, owner: held.owner } as Filter<KeyHolder>);
        continue;
      }
      return held.owner;
    }
    const held = await this.keys.findOne({ _id: key } as Filter<KeyHolder>);
    return held?.owner === owner ? null : (held?.owner ?? 'unknown');
  }

  /** Lets go of `key` if `owner` holds it. */
  async release(key: string, owner: string): Promise<void> {
    await this.keys.deleteOne({ _id: key, owner } as Filter<KeyHolder>);
  }

  /** The owner of `key`, or null. */
  async holder(key: string): Promise<string | null> {
    return (await this.keys.findOne({ _id: key } as Filter<KeyHolder>))?.owner ?? null;
  }
}
