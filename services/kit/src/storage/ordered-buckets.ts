import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../events/consumer';

/**
 * Sorted, paginated lists by equality. FerretDB sorts and limits in Go after reading every
 * matching document (README, "Storage"), so `find(filter).sort(key).limit(20)` costs the whole
 * list. Here a document carries, on one indexed array field, the name of every bucket it sits in:
 * for each list (a scope such as an organisation, and an order such as by name) and each level of
 * the order, the bucket of the documents whose position starts like its own. A position is a sort
 * key and an id, ordered as the string `key + TAB + id`; a level takes the first n characters of
 * the key (or the whole key and the tab, when shorter), or the key, the tab and the first n
 * characters of the id, so that rows with equal keys still spread. Which buckets a document is in
 * depends on nothing but the document, written in the same write.
 *
 * A directory of buckets (a unique insert each, never removed) lets a page walk them in order:
 * a bucket marked heavy is walked through its children one level down, any other is read whole
 * with one equality query. The walk stops once the buckets it has read, each complete, hold the
 * page. A page costs the few buckets around its position, not the list. The directory holds the
 * first level and the children of heavy buckets only: a writer records a row's buckets down to the
 * first one that is not heavy, before it writes the row. A bucket turns heavy (a split) once it
 * holds more than `heavyAt` rows: its children are recorded from its rows, then it is marked,
 * and its rows are looked at again a little later for rows written meanwhile by writers that still
 * saw it light.
 */

/** One sort order: a short name, and the lengths of key and then of id its levels cut, growing. */
export interface BucketOrder {
  name: string;
  keyLevels: readonly number[];
  idLevels: readonly number[];
}

/** Where a row sits in a list: its sort key (no character below a space) and its id. */
export interface BucketPosition {
  key: string;
  id: string;
}

const TAB = '\t';

function levelCount(order: BucketOrder): number {
  return order.keyLevels.length + order.idLevels.length;
}

/** The prefix of `at` at level `level` of `order`: a prefix of `key + TAB + id`. */
export function levelPrefix(order: BucketOrder, level: number, at: BucketPosition): string {
  const keyLength = order.keyLevels[level];
  if (keyLength !== undefined) return at.key.length >= keyLength ? at.key.slice(0, keyLength) : at.key + TAB;
  const idLength = order.idLevels[level - order.keyLevels.length] as number;
  return at.key + TAB + at.id.slice(0, idLength);
}

function bucketName(scope: string, order: BucketOrder, level: number, prefix: string): string {
  return `${scope}|${order.name}${level}|${prefix}`;
}

function rootName(scope: string, order: BucketOrder): string {
  return `${scope}|${order.name}`;
}

/** The bucket names a row at `at` has in the list `scope` ordered by `order`, one per level. */
export function bucketNames(scope: string, order: BucketOrder, at: BucketPosition): string[] {
  return Array.from({ length: levelCount(order) }, (_, level) =>
    bucketName(scope, order, level, levelPrefix(order, level, at)),
  );
}

/** Compares rows by (key, id): the order of every list. */
export function comparePositions(a: BucketPosition, b: BucketPosition): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/** One row's place in one list, as the writer of the row gives it to `ensure`. */
export interface BucketEntry {
  scope: string;
  order: BucketOrder;
  at: BucketPosition;
}

interface BucketNode {
  _id: string;
  /** The bucket one level up (`scope|order|` above the first level). */
  parent: string;
  /** Read through its children: it held more rows than a page should read. */
  heavy?: boolean;
}

export interface OrderedBucketsOptions {
  /**
   * A bucket with more rows than this turns heavy, when a longer prefix exists. FerretDB decodes
   * every row a bucket read returns (a user, about 2 KB, costs 0.2–0.4 ms), while a look at a
   * bucket's children returns small documents: so buckets stay near two pages.
   */
  heavyAt?: number;
  /** Directory entries remembered as written, so a bulk write inserts each only once. */
  rememberAtMost?: number;
  /** The orders whose buckets this directory holds. */
  orders: readonly BucketOrder[];
  /** The positions of every row in `bucket` in `order` (a split reads them to record children). */
  scan: (bucket: string, order: BucketOrder) => Promise<BucketPosition[]>;
  /** How old a writer's view of the heavy buckets may be. */
  heavyViewMs?: number;
  /** When a split looks at the bucket's rows again (longer than a write takes, view included). */
  settleMs?: number;
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
  private readonly heavyViewMs: number;
  private readonly settleMs: number;
  private readonly known = new Set<string>();
  private readonly counted = new Map<string, number>();
  private readonly nodes: Collection<BucketNode>;
  private indexed: Promise<unknown> | undefined;
  private heavy = new Set<string>();
  private heavyReadAt = 0;
  private heavyRead: Promise<void> | undefined;
  private readonly settling = new Set<Promise<void>>();

  constructor(
    db: Db,
    private readonly options: OrderedBucketsOptions & { collectionName?: string },
  ) {
    this.nodes = db.collection<BucketNode>(options.collectionName ?? 'list_buckets');
    this.heavyAt = options.heavyAt ?? 40;
    this.rememberAtMost = options.rememberAtMost ?? 200_000;
    this.heavyViewMs = options.heavyViewMs ?? 1_000;
    this.settleMs = options.settleMs ?? 5_000;
  }

  /** The indexes of the walk's child lookups and of the writers' look at heavy buckets. */
  private ready(): Promise<unknown> {
    this.indexed ??= Promise.all([
      this.nodes.createIndex({ parent: 1 }),
      this.nodes.createIndex({ heavy: 1 }),
    ]).catch((err: unknown) => {
      this.indexed = undefined;
      throw err;
    });
    return this.indexed;
  }

  /** The heavy buckets, as seen at most `heavyViewMs` ago (a bucket never turns light again). */
  private async heavyBuckets(): Promise<Set<string>> {
    if (Date.now() - this.heavyReadAt > this.heavyViewMs) {
      this.heavyRead ??= (async () => {
        const started = Date.now();
        const rows = await this.nodes.find({ heavy: true }, { projection: { _id: 1 } }).toArray();
        for (const row of rows) this.heavy.add(row._id);
        this.heavyReadAt = started;
      })().finally(() => (this.heavyRead = undefined));
      await this.heavyRead;
    }
    return this.heavy;
  }

  /**
   * Records the buckets of rows about to be written, before they are written: each row's buckets
   * down to the first that is not heavy. A bucket this process has counted past `heavyAt` rows is
   * split on the way, and the rows are recorded under it again.
   */
  async ensure(entries: readonly BucketEntry[]): Promise<void> {
    await this.ready();
    const heavy = await this.heavyBuckets();
    const fresh = new Map<string, BucketNode>();
    const splits = new Map<string, { order: BucketOrder; level: number }>();
    for (const { scope, order, at } of entries) {
      const last = levelCount(order) - 1;
      let parent = rootName(scope, order);
      for (let level = 0; level <= last; level++) {
        const name = bucketName(scope, order, level, levelPrefix(order, level, at));
        if (!this.known.has(name)) fresh.set(name, { _id: name, parent });
        const isHeavy = heavy.has(name);
        if (!isHeavy && level < last) {
          const count = (this.counted.get(name) ?? 0) + 1;
          if (this.counted.size < this.rememberAtMost || this.counted.has(name))
            this.counted.set(name, count);
          if (count > this.heavyAt) splits.set(name, { order, level });
        }
        if (!isHeavy) break;
        parent = name;
      }
    }
    await this.insertNodes([...fresh.values()]);
    if (splits.size === 0) return;
    for (const [name, { order, level }] of splits) await this.split(name, order, level);
    // The rows under a bucket split just now also need their buckets one level down.
    await this.ensure(entries);
  }

  private async insertNodes(nodes: BucketNode[]): Promise<void> {
    const unknown = nodes.filter((n) => !this.known.has(n._id));
    if (unknown.length === 0) return;
    try {
      await this.nodes.insertMany(unknown, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    if (this.known.size + unknown.length > this.rememberAtMost) this.known.clear();
    for (const node of unknown) this.known.add(node._id);
  }

  /** The children a bucket's rows need one level down. */
  private async childrenOf(name: string, order: BucketOrder, level: number): Promise<BucketNode[]> {
    const scope = name.slice(0, name.indexOf('|'));
    const positions = await this.options.scan(name, order);
    const children = new Map<string, BucketNode>();
    for (const at of positions) {
      const child = bucketName(scope, order, level + 1, levelPrefix(order, level + 1, at));
      children.set(child, { _id: child, parent: name });
    }
    return [...children.values()];
  }

  /**
   * Turns a bucket heavy: records the children of its rows, marks it, and after `settleMs` looks
   * at its rows again for those written meanwhile by writers that still saw it light.
   */
  private async split(name: string, order: BucketOrder, level: number): Promise<void> {
    if (this.heavy.has(name)) return;
    await this.insertNodes(await this.childrenOf(name, order, level));
    await this.markHeavy(name);
    this.heavy.add(name);
    this.counted.delete(name);
    const settle: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, this.settleMs).unref())
      .then(async () => this.insertNodes(await this.childrenOf(name, order, level)))
      .catch(() => undefined)
      .finally(() => this.settling.delete(settle));
    this.settling.add(settle);
  }

  /** Waits for the second looks of the splits in flight (before a bulk writer exits). */
  async settled(): Promise<void> {
    await Promise.all([...this.settling]);
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
    const last = levelCount(order) - 1;
    const visit = async (parent: string, level: number): Promise<boolean> => {
      const children = await this.nodes.find({ parent }).toArray();
      children.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
      const head = bucketName(scope, order, level, '').length;
      const from = after ? levelPrefix(order, level, after) : undefined;
      for (const child of children) {
        if (from !== undefined && child._id.slice(head) < from) continue;
        if (child.heavy && level < last) {
          if (await visit(child._id, level + 1)) return true;
          continue;
        }
        const found = await read(child._id);
        // A bucket this big turns heavy; this page still reads it whole.
        if (found.length > this.heavyAt && level < last) await this.split(child._id, order, level);
        const later = after ? found.filter((row) => comparePositions(position(row), after) > 0) : found;
        later.sort((a, b) => comparePositions(position(a), position(b)));
        rows.push(...later);
        if (rows.length >= need) return true;
      }
      return false;
    };
    await visit(rootName(scope, order), 0);
    return rows.slice(0, need);
  }
}
