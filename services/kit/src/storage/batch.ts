import type { Model } from 'mongoose';
import { serverOf } from './server';

export interface FindByKeysOptions {
  /** Fields to return or leave out, as in find(). */
  projection?: Record<string, 0 | 1>;
  /** Order of the rows of one key (e.g. reports by name); rows of different keys follow key order. */
  sort?: Record<string, 1 | -1>;
  /** Point lookups in flight at once on FerretDB. */
  concurrency?: number;
}

/**
 * Point lookups in flight at once. Alone on 2 cores at 100,000 users, 1,000 keys went at 940 keys/s
 * with 8 in flight and 1,430 with 16; but an unchanged re-import of 100,000 rows, where the import
 * and FerretDB share those cores, took the same time with either, so 8 leaves more room to others.
 */
const DEFAULT_CONCURRENCY = 8;

/**
 * The rows whose top-level `field` equals one of `keys`: the batch function of a DataLoader.
 * On MongoDB one `$in` query. On FerretDB one equality query per distinct key, 8 at a time,
 * because FerretDB reads and decodes the whole collection for a `$in` while it serves an equality
 * from an index (README, "Storage"). `field` must be indexed.
 */
export async function findByKeys<T>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model; the rows are typed by T
  model: Model<any>,
  field: string,
  keys: readonly string[],
  options: FindByKeysOptions = {},
): Promise<T[]> {
  const distinct = [...new Set(keys)];
  if (distinct.length === 0) return [];
  const query = (filter: Record<string, unknown>) => {
    const q = model.find(filter, options.projection);
    if (options.sort) q.sort(options.sort);
    return q.lean<T[]>().exec();
  };
  if (serverOf(model.db) === 'mongodb' || distinct.length === 1) {
    return query({ [field]: distinct.length === 1 ? distinct[0] : { $in: distinct } });
  }
  const groups = await mapBounded(distinct, options.concurrency ?? DEFAULT_CONCURRENCY, (key) =>
    query({ [field]: key }),
  );
  return groups.flat();
}

/** Maps `items` through `work` with at most `limit` calls in flight; results keep the items' order. */
export async function mapBounded<I, O>(
  items: readonly I[],
  limit: number,
  work: (item: I) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as I);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The indexes of the documents an unordered insertMany refused, as its error's `writeErrors` name
 * them; null when the error names none (it is not a bulk write error).
 */
export function writeErrorIndexes(err: unknown): Set<number> | null {
  const errors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  if (!Array.isArray(errors)) return null;
  return new Set(
    errors.map((e) => (e as { index?: unknown }).index).filter((i): i is number => typeof i === 'number'),
  );
}

/** True when a write failed on a unique key (a single write, or a bulk write whose first error is one). */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/**
 * Sets fields of the document `_id`, creating it when absent (a projection fed by events: setting
 * the same values again changes nothing). Two writers that create it at the same moment meet on
 * the unique _id; the loser's second try finds it and updates it.
 */
export async function upsertById(
  model: Pick<Model<{ _id: string }>, 'updateOne'>,
  id: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const write = () => model.updateOne({ _id: id }, { $set: fields }, { upsert: true }).exec();
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await write();
  }
}

/** A collection, as far as insertAllNew needs it (a driver collection, or a model's `collection`). */
export interface InsertMany {
  insertMany(docs: readonly object[], options: { ordered: false }): Promise<{ insertedCount: number }>;
}

/**
 * Inserts the documents in one unordered insertMany, leaving out those whose unique key is taken
 * (a repeat of an effect keyed by its cause); any other refusal throws. The count inserted.
 */
export async function insertAllNew(collection: InsertMany, docs: readonly object[]): Promise<number> {
  if (docs.length === 0) return 0;
  try {
    return (await collection.insertMany(docs, { ordered: false })).insertedCount;
  } catch (err) {
    const errors = (err as { writeErrors?: unknown }).writeErrors;
    const list = Array.isArray(errors) ? errors : errors === undefined ? null : [errors];
    if (!list || !list.every((e) => (e as { code?: unknown }).code === 11000)) throw err;
    return docs.length - list.length;
  }
}
