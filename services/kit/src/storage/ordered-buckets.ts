import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../events/consumer';

/**
 * Sorted, paginated lists by equality. FerretDB sorts and limits in Go after reading every
 * matching document (README, "Storage"), so `find(filter).sort(key).limit(20)` costs the whole
 * list. Here a document carries, on one indexed array field, the name of every bucket it sits in:
 * for each list (a scope such as an organisation, and an order such as by name) and each prefix
 * length of the order (e.g. 1, 2 and 4 characters), `scope|order|prefix`. A bucket holds exactly
 * the documents whose key starts with its prefix, so which bucket a document is in depends on
 * nothing but the document, written in the same write.
 *
 * A directory of the buckets that exist (a unique insert each, never removed) lets a page walk
 * them in key order: a bucket marked heavy is walked through its longer-prefix children, any
 * other is read whole with one equality query. The walk stops once the buckets it has read, each
 * complete, hold the page. A page costs the few buckets around its position, not the list.
 */

/** One sort order: a name, and the prefix lengths a key is bucketed at, shortest first. */
export interface BucketOrder {
  name: string;
  levels: readonly number[];
}

/** Where a page starts: after the row with this key and id. */
export interface BucketPosition {
  key: string;
  id: string;
}

/** A key's prefix of `length` characters; shorter keys are padded with spaces, which sort first. */
export function keyPrefix(key: string, length: number): string {
  return key.length >= length ? key.slice(0, length) : key.padEnd(length, ' ');
}

/** The bucket names a document with `key` has in the list `scope` ordered by `order`. */
export function bucketNames(scope: string, order: BucketOrder, key: string): string[] {
  return order.levels.map((length) => `${scope}|${order.name}|${keyPrefix(key, length)}`);
}

/** Compares rows by (key, id): the order of every list. */
export function comparePositions(a: BucketPosition, b: BucketPosition): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

interface BucketNode {
  _id: string;
  /** The bucket one level up (`scope|order|` above the first level). */
  parent: string;
  /** Read through its children: it held more rows than a page should read. */
  heavy?: boolean;
}

export interface OrderedBucketsOptions {
  /** A bucket read with more rows than this is marked heavy, when a longer prefix exists. */
  heavyAt?: number;
  /** Directory entries remembered as written, so a bulk write inserts each only once. */
  rememberAtMost?: number;
}

/** A bucket's rows as the caller reads them: the documents whose bucket field holds `bucket`. */
export type ReadBucket<T> = (bucket: string) => Promise<T[]>;

const shared = new WeakMap<Db, Map<string, OrderedBuckets>>();

/**
 * The directory of buckets (collection `collectionName`, default `list_buckets`) and the walk that
 * reads a page from it. Share one instance per directory: `OrderedBuckets.of` does.
 */
export class OrderedBuckets {
  /** The instance of this database's directory `collectionName`, made on first use. */
  static of(db: Db, options: OrderedBucketsOptions & { collectionName: string }): OrderedBuckets {
    let byName = shared.get(db);
    if (!byName) shared.set(db, (byName = new Map()));
    let instance = byName.get(options.collectionName);
    if (!instance) byName.set(options.collectionName, (instance = new OrderedBuckets(db, options)));
    return instance;
  }

  private readonly heavyAt: number;
  private readonly rememberAtMost: number;
  private readonly known = new Set<string>();
  private readonly counted = new Map<string, number>();
  private readonly nodes: Collection<BucketNode>;
  private indexed: Promise<unknown> | undefined;

  constructor(db: Db, options: OrderedBucketsOptions & { collectionName?: string } = {}) {
    this.nodes = db.collection<BucketNode>(options.collectionName ?? 'list_buckets');
    this.heavyAt = options.heavyAt ?? 150;
    this.rememberAtMost = options.rememberAtMost ?? 200_000;
  }

  /** The index the walk's child lookups need; created on first use. */
  private ready(): Promise<unknown> {
    this.indexed ??= this.nodes.createIndex({ parent: 1 }).catch((err: unknown) => {
      this.indexed = undefined;
      throw err;
    });
    return this.indexed;
  }

  /**
   * Records the buckets of documents about to be written, before they are written: a document in
   * a bucket the directory does not know would be missed by every walk. Idempotent; a bucket
   * that this process has counted past the heavy mark is marked heavy on the way.
   */
  async ensure(orders: readonly BucketOrder[], names: readonly string[]): Promise<void> {
    await this.ready();
    const fresh: BucketNode[] = [];
    const heavy: string[] = [];
    for (const name of names) {
      const count = (this.counted.get(name) ?? 0) + 1;
      if (this.counted.size < this.rememberAtMost || this.counted.has(name)) this.counted.set(name, count);
      if (count === this.heavyAt + 1 && hasLongerLevel(orders, name)) heavy.push(name);
      if (this.known.has(name)) continue;
      this.known.add(name);
      fresh.push({ _id: name, parent: parentOf(orders, name) });
    }
    if (this.known.size > this.rememberAtMost) this.known.clear();
    if (fresh.length > 0) {
      const unique = [...new Map(fresh.map((n) => [n._id, n])).values()];
      try {
        await this.nodes.insertMany(unique, { ordered: false });
      } catch (err) {
        if (!isDuplicateKey(err)) {
          for (const node of unique) this.known.delete(node._id);
          throw err;
        }
      }
    }
    for (const name of heavy) await this.markHeavy(name);
  }

  private async markHeavy(name: string): Promise<void> {
    await this.nodes.updateOne({ _id: name }, { $set: { heavy: true } });
  }

  /**
   * The first `need` rows after `after` of the list `scope` in `order`, in (key, id) order.
   * `read` returns a bucket's rows (already filtered as the caller wants); `position` gives a
   * row's key and id.
   */
  async page<T>(
    scope: string,
    order: BucketOrder,
    after: BucketPosition | undefined,
    need: number,
    read: ReadBucket<T>,
    position: (row: T) => BucketPosition,
  ): Promise<T[]> {
    await this.ready();
    const rows: T[] = [];
    const visit = async (parent: string, level: number): Promise<boolean> => {
      const length = order.levels[level] as number;
      const children = await this.nodes.find({ parent }).toArray();
      children.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
      const from = after ? keyPrefix(after.key, length) : undefined;
      for (const child of children) {
        const prefix = child._id.slice(child._id.length - length);
        if (from !== undefined && prefix < from) continue;
        const deeper = level + 1 < order.levels.length;
        if (child.heavy && deeper) {
          if (await visit(child._id, level + 1)) return true;
          continue;
        }
        const found = await read(child._id);
        if (found.length > this.heavyAt && deeper && !child.heavy) await this.markHeavy(child._id);
        const later = after ? found.filter((row) => comparePositions(position(row), after) > 0) : found;
        later.sort((a, b) => comparePositions(position(a), position(b)));
        rows.push(...later);
        if (rows.length >= need) return true;
      }
      return false;
    };
    await visit(`${scope}|${order.name}|`, 0);
    return rows.slice(0, need);
  }
}

function orderOf(orders: readonly BucketOrder[], name: string): { order: BucketOrder; prefix: string } {
  const [, orderName] = name.split('|', 3);
  const order = orders.find((o) => o.name === orderName);
  if (!order) throw new Error(`bucket ${name} names no known order`);
  const prefix = name.slice(name.indexOf('|', name.indexOf('|') + 1) + 1);
  return { order, prefix };
}

function parentOf(orders: readonly BucketOrder[], name: string): string {
  const { order, prefix } = orderOf(orders, name);
  const level = order.levels.indexOf(prefix.length);
  const head = name.slice(0, name.length - prefix.length);
  return level <= 0 ? head : head + prefix.slice(0, order.levels[level - 1]);
}

function hasLongerLevel(orders: readonly BucketOrder[], name: string): boolean {
  const { order, prefix } = orderOf(orders, name);
  return order.levels.indexOf(prefix.length) < order.levels.length - 1;
}
