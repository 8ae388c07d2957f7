import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Connection } from 'mongoose';
import { dropDatabases, MONGO_BASE } from '../../../../test/testkit';
import { connectMongo } from '../mongo';
import {
  bucketNames,
  comparePositions,
  OrderedBuckets,
  type BucketOrder,
  type BucketPosition,
} from './ordered-buckets';

interface Row {
  _id: string;
  key: string;
  kind: 'a' | 'b';
  buckets: string[];
}

const ORDER: BucketOrder = { name: 'k', keyLevels: [1, 2, 4], idLevels: [1] };
const SCOPE = 'team';
const COUNT = 1_200;

/** Keys as skewed as names: half start with "ma", a fifth are one of three names. */
function keyOf(i: number): string {
  const tail = ((i * 7919) % 10_007).toString(36);
  if (i % 2 === 0) return `ma${'rtn'[i % 3]}${tail}`;
  if (i % 5 === 1) return ['smith', 'li', 'o brien'][i % 3] as string;
  return `${String.fromCharCode(97 + (i % 26))}${tail}`;
}

const positionOf = (row: Row): BucketPosition => ({ key: row.key, id: row._id });

describe('ordered bucket lists on the database that infra/ runs', () => {
  const name = `test-buckets-${randomUUID().slice(0, 8)}`;
  let connection: Connection;
  let db: Db;
  let rows: Collection<Row>;
  let truth: Row[];
  let reads: number;
  const list = new Map<string, OrderedBuckets>();
  const buckets = () => list.get('one') as OrderedBuckets;

  const options = (extra: { viewMs?: number } = {}) => ({
    heavyAt: 20,
    scan: async (bucket: string) => (await rows.find({ buckets: bucket }).toArray()).map(positionOf),
    ...extra,
  });
  const read = (kind?: Row['kind']) => async (bucket: string) => {
    const found = await rows.find({ buckets: bucket, ...(kind ? { kind } : {}) }).toArray();
    reads += found.length;
    return found;
  };

  beforeAll(async () => {
    connection = await connectMongo(`${MONGO_BASE}/${name}`);
    db = connection.db as Db;
    rows = db.collection<Row>('rows');
    await rows.createIndex({ buckets: 1 });
    list.set('one', new OrderedBuckets(db, options()));
    const docs: Row[] = [];
    for (let i = 0; i < COUNT; i++) {
      const key = keyOf(i);
      // Ids of hexadecimal digits, as random UUIDs have: rows with equal keys spread over 16 buckets.
      const _id = ((i * 2_654_435_761) % 4_294_967_296).toString(16).padStart(8, '0');
      docs.push({ _id, key, kind: i % 3 ? 'a' : 'b', buckets: bucketNames(SCOPE, ORDER, { key, id: _id }) });
    }
    await buckets().ensure(docs.map((d) => ({ scope: SCOPE, order: ORDER, at: positionOf(d) })));
    await rows.insertMany(docs);
    truth = [...docs].sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
  });
  afterAll(async () => {
    await connection.close();
    await dropDatabases([name]);
  });

  it('when a list is paged to its end, then every row comes once, in key order, and a page reads a few buckets, not the list', async () => {
    const seen: Row[] = [];
    const perPage: number[] = [];
    let after: BucketPosition | undefined;
    for (;;) {
      reads = 0;
      const page = await buckets().page(SCOPE, ORDER, after, 25, read(), positionOf);
      perPage.push(reads);
      seen.push(...page);
      if (page.length < 25) break;
      after = positionOf(page[page.length - 1] as Row);
    }
    expect(seen.map((r) => r._id)).toEqual(truth.map((r) => r._id));
    const median = [...perPage].sort((a, b) => a - b)[Math.floor(perPage.length / 2)] as number;
    expect(median).toBeLessThan(COUNT / 10);
  });

  it('when the bulk write counted buckets past the mark, then they are read through their children', async () => {
    const heavy = await db.collection('list_buckets').find({ heavy: true }).toArray();
    // "m" and "ma" hold half the rows; the 40 rows named "smith" are cut by their ids.
    expect(heavy.map((n) => n._id)).toEqual(
      expect.arrayContaining([`${SCOPE}|k0|m`, `${SCOPE}|k1|ma`, `${SCOPE}|k2|smit`]),
    );
  });

  it('when a page starts anywhere and keeps only some rows, then it equals the same slice of the sorted rows', async () => {
    for (const start of [0, 1, 299, 600, 777, 1_100, COUNT - 2]) {
      const after = positionOf(truth[start] as Row);
      const page = await buckets().page(SCOPE, ORDER, after, 30, read('b'), positionOf);
      const expected = truth
        .slice(start + 1)
        .filter((r) => r.kind === 'b')
        .slice(0, 30);
      expect(page.map((r) => r._id)).toEqual(expected.map((r) => r._id));
    }
  });

  it('when a row changes key, then the next walk finds it at its new place and not at the old one', async () => {
    const moved = truth[5] as Row;
    const key = 'zz moved';
    const names = bucketNames(SCOPE, ORDER, { key, id: moved._id });
    await buckets().ensure([{ scope: SCOPE, order: ORDER, at: { key, id: moved._id } }]);
    await rows.updateOne({ _id: moved._id }, { $set: { key, buckets: names } });
    const fresh = new OrderedBuckets(db, options());
    const all: Row[] = [];
    let after: BucketPosition | undefined;
    for (;;) {
      const page = await fresh.page(SCOPE, ORDER, after, 200, read(), positionOf);
      all.push(...page);
      if (page.length < 200) break;
      after = positionOf(page[page.length - 1] as Row);
    }
    expect(all).toHaveLength(COUNT);
    expect(all[all.length - 1]?._id).toBe(moved._id);
    expect(all.filter((r) => r._id === moved._id)).toHaveLength(1);
  });

  it('when a writer still saw a bucket light as it split, then its row is listed once the writer has looked after writing', async () => {
    const late = new OrderedBuckets(db, options({ viewMs: 60_000 }));
    const scope = 'late';
    const row = (i: number, key: string): Row => {
      const _id = `late-${String(i).padStart(3, '0')}`;
      return { _id, key, kind: 'a', buckets: bucketNames(scope, ORDER, { key, id: _id }) };
    };
    const entries = (docs: Row[]) => docs.map((d) => ({ scope, order: ORDER, at: positionOf(d) }));
    const write = async (writer: OrderedBuckets, docs: Row[], after = true) => {
      await writer.ensure(entries(docs));
      await rows.insertMany(docs);
      if (after) await writer.written(entries(docs));
    };
    await write(late, [row(0, 'qa')]); // its view of the heavy buckets is taken now, and kept
    await write(
      buckets(),
      Array.from({ length: 25 }, (_, i) => row(i + 1, `qb${String(i).padStart(2, '0')}`)),
    );
    await write(buckets(), [row(26, 'qc')]); // past the mark: "q" splits
    await write(late, [row(27, 'qz')], false); // records "q" only, as if it were light
    const listed = async () => {
      const page = await new OrderedBuckets(db, options()).page(
        scope,
        ORDER,
        undefined,
        100,
        read(),
        positionOf,
      );
      return page.map((r) => r._id);
    };
    expect((await db.collection('list_buckets').findOne({ _id: `${scope}|k0|q` as never }))?.heavy).toBe(
      true,
    );
    expect(await listed()).not.toContain('late-027'); // until the writer looks after its write
    await late.written(entries([row(27, 'qz')]));
    expect(await listed()).toEqual(
      Array.from({ length: 28 }, (_, i) => `late-${String(i).padStart(3, '0')}`),
    );
  });

  describe('splits of one bulk write', () => {
    const scanned: string[] = [];
    const counting = () =>
      new OrderedBuckets(db, {
        ...options(),
        scan: async (bucket: string) => {
          scanned.push(bucket);
          return (await rows.find({ buckets: bucket }).toArray()).map(positionOf);
        },
      });
    const rowsOf = (scope: string, from: number, count: number, key: (i: number) => string): Row[] =>
      Array.from({ length: count }, (_, n) => {
        const i = from + n;
        const _id = `${scope}-${String(i).padStart(4, '0')}`;
        return { _id, key: key(i), kind: 'a', buckets: bucketNames(scope, ORDER, { key: key(i), id: _id }) };
      });
    const write = async (writer: OrderedBuckets, scope: string, docs: Row[]) => {
      const entries = docs.map((d) => ({ scope, order: ORDER, at: positionOf(d) }));
      await writer.ensure(entries);
      await rows.insertMany(docs);
      await writer.written(entries);
    };
    const listAll = async (scope: string) => {
      const page = await new OrderedBuckets(db, options()).page(
        scope,
        ORDER,
        undefined,
        1_000,
        read(),
        positionOf,
      );
      return page.map((r) => r._id);
    };
    const heavyOf = async (scope: string) =>
      (await db.collection('list_buckets').find({ heavy: true }).toArray())
        .map((n) => String(n._id))
        .filter((id) => id.startsWith(`${scope}|`))
        .sort();

    it('when one write alone fills new buckets past the mark, then they are recorded heavy down the levels without reading a row', async () => {
      scanned.length = 0;
      const scope = 'born';
      const docs = rowsOf(scope, 0, 300, (i) => `same name ${i % 3}`);
      await write(counting(), scope, docs);
      expect(scanned).toEqual([]);
      // "s", "sa", "same" hold all 300 rows; each "same name n" key holds 100, cut by their ids.
      expect(await heavyOf(scope)).toEqual([`${scope}|k0|s`, `${scope}|k1|sa`, `${scope}|k2|same`]);
      expect(await listAll(scope)).toEqual(
        [...docs].sort((a, b) => comparePositions(positionOf(a), positionOf(b))).map((d) => d._id),
      );
    });

    it('when another writer recorded the bucket first, then the split reads the rows stored in it and lists them all', async () => {
      scanned.length = 0;
      const scope = 'shared';
      const first = rowsOf(scope, 0, 5, (i) => `xa${i}`);
      await write(counting(), scope, first);
      const second = rowsOf(scope, 5, 60, (i) => `xb${i}`);
      await write(counting(), scope, second); // a writer that never saw "x" recorded
      expect(scanned).toContain(`${scope}|k0|x`);
      expect(await heavyOf(scope)).toContain(`${scope}|k0|x`);
      expect(await listAll(scope)).toEqual(
        [...first, ...second]
          .sort((a, b) => comparePositions(positionOf(a), positionOf(b)))
          .map((d) => d._id),
      );
    });
  });

  it('when a small bucket is looked up, then PostgreSQL serves the array field from an index', async () => {
    const explained = await db.command({
      explain: {
        find: 'rows',
        filter: { buckets: bucketNames(SCOPE, ORDER, positionOf(truth[0] as Row)).at(-1) },
      },
    });
    const types: string[] = [];
    const walk = (node: { 'Node Type': string; Plans?: unknown[] }) => {
      types.push(node['Node Type']);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk(explained.queryPlanner.Plan);
    expect(explained.filterPushdown).toBe(true);
    expect(types.some((t) => /Index/.test(t))).toBe(true);
    expect(types).not.toContain('Seq Scan');
  });
});
