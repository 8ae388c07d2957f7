import { randomBytes, randomUUID } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import { dropDatabases, MONGO_BASE } from '../../../../test/testkit';
import { connectMongo } from '../mongo';
import { findByKeys } from './batch';
import { dueBucket, DueSweeper } from './due-work';
import { rememberServer, serverOf } from './server';

interface Person {
  _id: string;
  email: string;
  managerId: string | null;
  name: string;
}

const personSchema = new Schema<Person>(
  { _id: String, email: String, managerId: String, name: String },
  { collection: 'people', versionKey: false },
);
personSchema.index({ email: 1 }, { unique: true });
personSchema.index({ managerId: 1 });

/** The PostgreSQL plan FerretDB reports for a find, flattened to its nodes. */
async function planNodes(db: Connection, filter: Record<string, unknown>) {
  const explained = await db.db!.command({ explain: { find: 'people', filter } });
  const nodes: { 'Node Type': string; 'Index Name'?: string }[] = [];
  const walk = (node: { 'Node Type': string; Plans?: unknown[] }) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child as typeof node);
  };
  walk(explained.queryPlanner.Plan);
  return { nodes, pushdown: explained.filterPushdown as boolean };
}

const COUNT = 10_000;

describe('storage on the database that infra/ runs', () => {
  const name = `test-storage-${randomUUID().slice(0, 8)}`;
  let db: Connection;

  beforeAll(async () => {
    // monitorCommands: the batch test reads the filters the driver sends.
    db = await connectMongo(`${MONGO_BASE}/${name}?monitorCommands=true`);
    const people = db.model<Person>('Person', personSchema);
    await people.init();
    const docs: Person[] = [];
    for (let i = 0; i < COUNT; i++) {
      docs.push({
        _id: `p${i}`,
        email: `p${i}@example.org`,
        managerId: `p${i % 100}`,
        name: `Person ${COUNT - i}`,
      });
    }
    for (let i = 0; i < docs.length; i += 2_000)
      await people.collection.insertMany(docs.slice(i, i + 2_000) as never[]);
  });
  afterAll(async () => {
    await db.close();
    await dropDatabases([name]);
  });

  it('knows the server from its buildInfo: FerretDB here', () => {
    expect(serverOf(db)).toBe('ferretdb');
  });

  it.each([
    ['a unique indexed field', { email: 'p7777@example.org' }],
    ['a non-unique indexed field', { managerId: 'p42' }],
    ['the _id', { _id: 'p5000' }],
  ])(
    'when %s is looked up by equality among 10,000 documents, then PostgreSQL serves it from an index',
    async (_what, filter) => {
      const { nodes, pushdown } = await planNodes(db, filter);
      expect(pushdown).toBe(true);
      expect(nodes.some((n) => /Index/.test(n['Node Type']) && n['Index Name'])).toBe(true);
      expect(nodes.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    },
  );

  it('when a field has no index, then the same lookup reads the whole table (the test can tell)', async () => {
    const { nodes } = await planNodes(db, { name: 'Person 1' });
    expect(nodes.map((n) => n['Node Type'])).toContain('Seq Scan');
  });

  it('when documents of a few kilobytes were just loaded, then a lookup by _id still uses the index', async () => {
    // Such documents are stored out of line (TOAST): the table looks small, and before statistics
    // exist a scan looked cheap to the planner (prepare.sql prices jsonb access; see there).
    const big = db.collection('versions');
    for (let b = 0; b < 3; b++) {
      const docs = Array.from({ length: 1_000 }, (_, i) => ({
        _id: `v${b * 1_000 + i}#1`,
        state: { pad: randomBytes(2_400).toString('base64') },
      }));
      await big.insertMany(docs as never[]);
    }
    const explained = await db.db!.command({ explain: { find: 'versions', filter: { _id: 'v1500#1' } } });
    const types: string[] = [];
    const walk = (node: { 'Node Type': string; Plans?: unknown[] }) => {
      types.push(node['Node Type']);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk(explained.queryPlanner.Plan);
    expect(types).not.toContain('Seq Scan');
  });

  it('when an index is dropped, then its GIN twin goes with it and the lookup scans again', async () => {
    const extra = db.collection('people');
    await extra.createIndex({ name: 1 }, { name: 'by_name' });
    expect((await planNodes(db, { name: 'Person 1' })).nodes.map((n) => n['Node Type'])).not.toContain(
      'Seq Scan',
    );
    await extra.dropIndex('by_name');
    expect((await planNodes(db, { name: 'Person 1' })).nodes.map((n) => n['Node Type'])).toContain(
      'Seq Scan',
    );
  });

  it('when a batch loads by keys, then FerretDB gets one equality per distinct key and the rows match a $in', async () => {
    const people = db.model<Person>('Person');
    const keys = ['p1', 'p2', 'p1', 'missing', 'p3'];
    const sent: unknown[] = [];
    const client = db.getClient();
    const listener = (e: { commandName: string; command: { filter?: unknown } }) => {
      if (e.commandName === 'find') sent.push(e.command.filter);
    };
    client.on('commandStarted', listener);
    let pointed: Person[];
    try {
      pointed = await findByKeys<Person>(people, 'managerId', keys, { sort: { name: 1 } });
    } finally {
      client.off('commandStarted', listener);
    }
    // One equality per distinct key (in flight together, so in no fixed order), never a $in.
    const filters = (sent as { managerId: unknown }[]).map((f) => f.managerId);
    expect(filters.sort()).toEqual(['missing', 'p1', 'p2', 'p3']);
    rememberServer(db, 'mongodb');
    try {
      const inQuery = await findByKeys<Person>(people, 'managerId', keys);
      const byId = (rows: Person[]) => rows.map((r) => r._id).sort();
      expect(byId(pointed)).toEqual(byId(inQuery));
      expect(pointed).toHaveLength(300);
    } finally {
      rememberServer(db, 'ferretdb');
    }
    // Rows of one key come in the asked order; keys follow the order they were first asked for.
    const ofP2 = pointed.filter((p) => p.managerId === 'p2').map((p) => p.name);
    expect(ofP2).toEqual([...ofP2].sort());
    expect(pointed[0]!.managerId).toBe('p1');
  });
});

describe('due-work sweeps', () => {
  const name = `test-due-${randomUUID().slice(0, 8)}`;
  let db: Connection;
  beforeAll(async () => {
    db = await connectMongo(`${MONGO_BASE}/${name}`);
  });
  afterAll(async () => {
    await db.close();
    await dropDatabases([name]);
  });

  it('when the service was down for three hours, then the next sweep looks up each missed minute once, in order, and the cursor moves on', async () => {
    const sweeper = new DueSweeper({ name: 'catch-up', db, graceMs: 120_000 });
    const t0 = new Date('2026-12-01T09:00:30Z');
    const seen: string[] = [];
    await sweeper.sweep(t0, async (b) => void seen.push(b));
    // First sweep on a database: the last hour, through the current minute.
    expect(seen[0]).toBe('2026-12-01T08:00');
    expect(seen.at(-1)).toBe('2026-12-01T09:00');
    seen.length = 0;

    const later = new Date('2026-12-01T12:00:30Z');
    await sweeper.sweep(later, async (b) => void seen.push(b));
    // From the first minute still within the grace of the earlier sweep, to now: each once, in order.
    expect(seen[0]).toBe('2026-12-01T08:58');
    expect(seen.at(-1)).toBe('2026-12-01T12:00');
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);

    seen.length = 0;
    await sweeper.sweep(new Date('2026-12-01T12:00:40Z'), async (b) => void seen.push(b));
    // Only the minutes within the grace are looked at again.
    expect(seen).toEqual(['2026-12-01T11:58', '2026-12-01T11:59', '2026-12-01T12:00']);
  });

  it('when handling a bucket fails, then the sweep stops there and the next one starts with that bucket', async () => {
    const sweeper = new DueSweeper({ name: 'failing', db, graceMs: 0, firstLookbackMs: 10 * 60_000 });
    const now = new Date('2026-12-01T10:00:10Z');
    const failAt = dueBucket(new Date('2026-12-01T09:55:00Z'));
    await expect(
      sweeper.sweep(now, async (b) => {
        if (b === failAt) throw new Error('database restarting');
      }),
    ).rejects.toThrow('database restarting');
    const seen: string[] = [];
    await sweeper.sweep(now, async (b) => void seen.push(b));
    expect(seen[0]).toBe(failAt);
  });

  it('runs the first-sweep hook once per database, before the first bucket', async () => {
    const order: string[] = [];
    const make = () =>
      new DueSweeper({
        name: 'hooked',
        db,
        firstLookbackMs: 60_000,
        onFirstSweep: async () => void order.push('hook'),
      });
    await make().sweep(new Date('2026-12-01T10:00:10Z'), async (b) => void order.push(b));
    await make().sweep(new Date('2026-12-01T10:10:10Z'), async () => undefined);
    expect(order[0]).toBe('hook');
    expect(order.filter((o) => o === 'hook')).toHaveLength(1);
  });
});
