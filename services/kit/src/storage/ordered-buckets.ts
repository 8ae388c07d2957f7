import type { Collection, Db } from 'mongodb';
import { isDuplicateKey, mapBounded, writeErrorIndexes } from './batch';

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
 * first level and the children of heavy buckets only, so a bulk write adds few entries.
 *
 * A bucket turns heavy (a split) once it holds more than `heavyAt` rows: it is marked splitting
 * (with the minute, so writers find recent splits by equality), its children are recorded from
 * its rows, and then it is marked heavy, which is when walks start reading it through them. A
 * writer records a row's buckets down to the first that is neither, before it writes the row,
 * and after the write looks at the splits begun since its last look, recording the row's child
 * under each. Either its look comes after the split began, or its write came before the split
 * read the bucket's rows: the child is recorded either way, with no waiting.
 *
 * A bulk write counts its rows at every level they reach, so a bucket it fills splits in the same
 * write, and the rows go on down. A bucket it records for the first time under a heavy bucket has
 * no stored row to read: one that the write alone makes heavy is recorded heavy from the start.
 * A split seeds its children's counts with the rows it read, so a child that is already heavy
 * splits at its next write instead of growing for one more.
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

/** Minutes looked at one by one after a pause; a longer pause reads every heavy bucket instead. */
const LOOK_BACK_MINUTES = 5;

/** Splits of one bulk write sent to the database at once (each reads a bucket, writes three times). */
const SPLITS_AT_ONCE = 8;

function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** Whether a parent is a list's root (`scope|order`, above the first level). */
function isRoot(parent: string): boolean {
  return parent.indexOf('|') === parent.lastIndexOf('|');
}

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
  /** The minute a split of this bucket began (its children are being recorded). */
  splitting?: string;
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
  /** The positions of every row in `bucket` in `order` (a split reads them to record children). */
  scan: (bucket: string, order: BucketOrder) => Promise<BucketPosition[]>;
  /** How old a writer's view of the splits may be before a write (after one it looks again). */
  viewMs?: number;
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
  private readonly viewMs: number;
  private readonly known = new Set<string>();
  private readonly counted = new Map<string, number>();
  private readonly nodes: Collection<BucketNode>;
  private indexed: Promise<unknown> | undefined;
  /** Buckets whose rows need their children recorded: splitting or heavy, as last looked at. */
  private readonly split = new Set<string>();
  /** Buckets known to be heavy: their split is complete (a bucket never stops being heavy). */
  private readonly heavy = new Set<string>();
  private lookedAt = 0;
  private looking: Promise<void> | undefined;

  constructor(
    db: Db,
    private readonly options: OrderedBucketsOptions & { collectionName?: string },
  ) {
    this.nodes = db.collection<BucketNode>(options.collectionName ?? 'list_buckets');
    this.heavyAt = options.heavyAt ?? 40;
    this.rememberAtMost = options.rememberAtMost ?? 200_000;
    this.viewMs = options.viewMs ?? 1_000;
  }

  /** The indexes of the walk's child lookups and of the writers' looks at splits. */
  private ready(): Promise<unknown> {
    this.indexed ??= Promise.all([
      this.nodes.createIndex({ parent: 1 }),
      this.nodes.createIndex({ heavy: 1 }),
      this.nodes.createIndex({ splitting: 1 }),
    ]).catch((err: unknown) => {
      this.indexed = undefined;
      throw err;
    });
    return this.indexed;
  }

  /**
   * Brings the view of split buckets up to date: every heavy bucket the first time (and after a
   * pause of more than LOOK_BACK_MINUTES, when that is fewer queries), then the splits begun in
   * each minute since the last look (one equality each), a minute back for splits in flight.
   */
  private async look(force: boolean): Promise<void> {
    if (!force && Date.now() - this.lookedAt < this.viewMs) return;
    while (this.looking) await this.looking;
    if (!force && Date.now() - this.lookedAt < this.viewMs) return;
    this.looking = (async () => {
      const started = Date.now();
      const paused = started - this.lookedAt > LOOK_BACK_MINUTES * 60_000;
      if (paused) {
        for (const row of await this.nodes.find({ heavy: true }, { projection: { _id: 1 } }).toArray()) {
          this.split.add(row._id);
          this.heavy.add(row._id);
        }
      }
      // Heavy buckets were all read after a pause; of the splits, only those still in flight matter.
      const from = Math.floor(((paused ? started : this.lookedAt) - 60_000) / 60_000);
      for (let minute = from; minute <= Math.floor(started / 60_000); minute++) {
        const at = minuteOf(minute * 60_000);
        for (const row of await this.nodes.find({ splitting: at }, { projection: { _id: 1 } }).toArray()) {
          this.split.add(row._id);
        }
      }
      this.lookedAt = started;
    })().finally(() => (this.looking = undefined));
    await this.looking;
  }

  /**
   * Records the buckets of rows about to be written, before they are written: each row's buckets
   * down to the first that is not split. A bucket this process has counted past `heavyAt` rows is
   * split on the way. Call `written` with the same entries once the rows are written.
   */
  async ensure(entries: readonly BucketEntry[]): Promise<void> {
    await this.ready();
    await this.look(false);
    await this.record(
      entries,
      entries.map(() => -1),
    );
  }

  /** After the rows of `ensure` were written: their children under splits begun meanwhile. */
  async written(entries: readonly BucketEntry[]): Promise<void> {
    await this.look(true);
    await this.record(entries, null);
  }

  /**
   * Records each entry's buckets down to its first bucket that is not split. With `counted`, an
   * entry is counted at every level below `counted[i]` that it reaches (the first call counts
   * from the top; a bucket split on the way sends its rows one level down, where they are counted
   * in the same call, so a cascade of splits finishes within one write, not one level per write).
   */
  private async record(entries: readonly BucketEntry[], counted: number[] | null): Promise<void> {
    const fresh = new Map<string, BucketNode>();
    const splits = new Map<string, { order: BucketOrder; level: number }>();
    entries.forEach(({ scope, order, at }, i) => {
      const last = levelCount(order) - 1;
      let parent = rootName(scope, order);
      for (let level = 0; level <= last; level++) {
        const name = bucketName(scope, order, level, levelPrefix(order, level, at));
        if (!this.known.has(name)) fresh.set(name, { _id: name, parent });
        const isSplit = this.split.has(name);
        if (counted && level > (counted[i] as number) && !isSplit && level < last) {
          counted[i] = level;
          const seen = (this.counted.get(name) ?? 0) + 1;
          if (this.counted.size < this.rememberAtMost || this.counted.has(name)) this.counted.set(name, seen);
          if (seen > this.heavyAt) splits.set(name, { order, level });
        }
        if (!isSplit) break;
        parent = name;
      }
    });
    // A bucket new to the directory under a heavy bucket holds no stored row (see `bornHeavy`):
    // one that this write alone makes heavy is recorded heavy at once, with nothing to read.
    const born: BucketNode[] = [];
    for (const name of splits.keys()) {
      const node = fresh.get(name);
      if (node && (isRoot(node.parent) || this.heavy.has(node.parent))) {
        born.push(node);
        fresh.delete(name);
      }
    }
    await this.insertNodes([...fresh.values()]);
    if (splits.size === 0) return;
    for (const name of await this.bornHeavy(born)) splits.delete(name);
    await mapBounded([...splits], SPLITS_AT_ONCE, ([name, { order, level }]) =>
      this.splitBucket(name, order, level),
    );
    // The rows under a bucket split just now need their buckets one level down, counted there.
    await this.record(entries, counted);
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

  /**
   * Inserts buckets born heavy, returning those inserted. Their parent is heavy and the directory
   * had no entry for them, so no row was stored in them: a row is stored after its writer records
   * its buckets down to the first that is not split (the parent's child, here), and a split records
   * the children of the rows it reads. Only a writer between its write and its look can hold a row
   * in one, and its look finds the bucket by its `splitting` minute. A bucket someone recorded
   * meanwhile fails its insert and is split as usual.
   */
  private async bornHeavy(nodes: BucketNode[]): Promise<string[]> {
    if (nodes.length === 0) return [];
    const splitting = minuteOf(Date.now());
    const docs = nodes.map((n) => ({ ...n, splitting, heavy: true }));
    let failed = new Set<number>();
    try {
      await this.nodes.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Rows the error does not name are taken as refused: they are split as usual.
      const named = writeErrorIndexes(err);
      failed = named && named.size > 0 ? named : new Set(docs.map((_, i) => i));
    }
    const inserted = nodes.filter((_, i) => !failed.has(i)).map((n) => n._id);
    for (const name of inserted) {
      this.known.add(name);
      this.split.add(name);
      this.heavy.add(name);
      this.counted.delete(name);
    }
    return inserted;
  }

  /** The children a bucket's rows need one level down. */
  private async childrenOf(name: string, order: BucketOrder, level: number): Promise<BucketNode[]> {
    const scope = name.slice(0, name.indexOf('|'));
    const positions = await this.options.scan(name, order);
    const children = new Map<string, BucketNode>();
    const stored = new Map<string, number>();
    for (const at of positions) {
      const child = bucketName(scope, order, level + 1, levelPrefix(order, level + 1, at));
      children.set(child, { _id: child, parent: name });
      stored.set(child, (stored.get(child) ?? 0) + 1);
    }
    // The children start with the rows they hold, so that one already heavy splits at its next write.
    for (const [child, rows] of stored) {
      if (this.counted.size < this.rememberAtMost || this.counted.has(child)) {
        this.counted.set(child, Math.max(this.counted.get(child) ?? 0, rows));
      }
    }
    return [...children.values()];
  }

  /** Splits a bucket: marked splitting, its rows' children recorded, then marked heavy. */
  private async splitBucket(name: string, order: BucketOrder, level: number): Promise<void> {
    if (this.split.has(name)) return;
    await this.nodes.updateOne({ _id: name }, { $set: { splitting: minuteOf(Date.now()) } });
    this.split.add(name);
    this.counted.delete(name);
    await this.insertNodes(await this.childrenOf(name, order, level));
    await this.markHeavy(name);
  }

  /**
   * Splits a bucket a page found too big, unless it is known heavy: also one whose split another
   * writer began and never finished (a crash between its marks), which would stay light for good.
   */
  private async completeSplit(name: string, order: BucketOrder, level: number): Promise<void> {
    if (this.heavy.has(name)) return;
    this.split.delete(name);
    await this.splitBucket(name, order, level);
  }

  private async markHeavy(name: string): Promise<void> {
    await this.nodes.updateOne({ _id: name }, { $set: { heavy: true } });
    this.heavy.add(name);
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
        if (found.length > this.heavyAt && level < last) await this.completeSplit(child._id, order, level);
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
