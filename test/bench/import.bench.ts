/**
 * Benchmark: `npm run import` of BENCH_USERS users from CSV, end to end (the built command in its
 * own process, including every user.created and set-password event published to Kafka), against a
 * baseline of the same documents inserted with the raw MongoDB driver into the same database in
 * the same run. Then a re-import of the unchanged file, and the batch read the upsert depends on:
 * `$in` against its alternatives. Prints its figures; asserts only that the work was done.
 *
 * The default is 1,000 users; the README's figures are for BENCH_USERS=100000 (about half a minute
 * for the import on FerretDB over PostgreSQL, and a minute and a half for the unchanged re-import;
 * skip that with BENCH_REIMPORT=0). The batch reads include `$in` and `$or`, which read the whole
 * collection on FerretDB: at 100,000 users give Jest `--testTimeout` or skip them with BENCH_READS=0.
 * BENCH_NODE_ARGS passes options (e.g. --cpu-prof) to the import's process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { CREATION_OUTBOX } from '@concierge/kit';
import { createOrg, dropDatabases, MONGO_BASE, usersConfig } from '../testkit';
import { startServer as startUsers } from '@concierge/users';
import { writeUsersCsv } from './generate-users';
import { runImport } from './lib/import-command';

const N = Number(process.env.BENCH_USERS ?? 1_000);
const BATCH = 1_000;
const ORGANIZATIONS = ['HQ', 'SALES', 'OPS', 'RESEARCH'];

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/**
 * Reads `keys` by external key (and the same users by `_id`) in the ways the upsert could, and
 * builds the import's index of every external key (one scan); returns ms per way, rows found and
 * keys asked. FerretDB 1.24 pushes down no `$in` or `$or` (on SQLite, only `_id` equality), so
 * above SAMPLE_ABOVE users the ways that cost one collection scan per key (or per `$or` branch) ask
 * SAMPLE (or SCAN_SAMPLE) keys instead of all: their time is linear in the keys, and all of them
 * would take hours at 100,000 users.
 * Each way runs three times (the median is shown), once above SAMPLE_ABOVE users.
 */
const SAMPLE_ABOVE = 20_000;
const SAMPLE = 100;
/** One externalKey equality query reads all users: at 100,000 users, seconds each. */
const SCAN_SAMPLE = 10;

async function batchReads(users: Collection<Document>, keys: string[]) {
  const equality = async (k: string) => users.findOne({ externalKey: k }, { projection: { _id: 1 } });
  const ids = (await users.find({ externalKey: { $in: keys } }, { projection: { _id: 1 } }).toArray()).map(
    (d) => d._id as unknown as string,
  );
  const byId = async (id: string) => users.findOne({ _id: id as never }, { projection: { _id: 1 } });
  const sampled = N > SAMPLE_ABOVE;
  // Spread over the whole collection: a findOne stops at its first match, so keys inserted early
  // would be found after reading a fraction of it.
  const some = <T>(all: T[], size = SAMPLE) =>
    sampled ? all.filter((_, i) => i % Math.ceil(all.length / size) === 0) : all;
  const perKey = async <T>(items: T[], read: (item: T) => Promise<unknown>) => {
    let found = 0;
    for (let i = 0; i < items.length; i += 50) {
      found += (await Promise.all(items.slice(i, i + 50).map(read))).filter(Boolean).length;
    }
    return found;
  };
  const ways: Record<string, { keys: number; read: () => Promise<number> }> = {
    '$in, one query': {
      keys: keys.length,
      read: async () =>
        (await users.find({ externalKey: { $in: keys } }, { projection: { _id: 1 } }).toArray()).length,
    },
    '_id $in, one query': {
      keys: ids.length,
      read: async () =>
        (await users.find({ _id: { $in: ids as never[] } }, { projection: { _id: 1 } }).toArray()).length,
    },
    '_id equality per key, 50 at a time': { keys: some(ids).length, read: () => perKey(some(ids), byId) },
    '$or of equalities, one query': {
      keys: some(keys).length,
      read: async () =>
        (
          await users
            .find({ $or: some(keys).map((k) => ({ externalKey: k })) }, { projection: { _id: 1 } })
            .toArray()
        ).length,
    },
    'one equality query per key, 50 at a time': {
      keys: some(keys, SCAN_SAMPLE).length,
      read: () => perKey(some(keys, SCAN_SAMPLE), equality),
    },
    'index of every external key, one scan (what the import does)': {
      keys: N,
      read: async () => {
        let found = 0;
        for await (const doc of users.find(
          { externalKey: { $type: 'string' } },
          { projection: { _id: 1, externalKey: 1, status: 1, displayName: 1 }, batchSize: 5_000 },
        )) {
          if (doc._id) found++;
        }
        return found;
      },
    },
  };
  const results: Record<string, { ms: number; found: number; keys: number }> = {};
  for (const [name, way] of Object.entries(ways)) {
    const runs: number[] = [];
    let found = 0;
    for (let r = 0; r < (sampled ? 1 : 3); r++) {
      const { ms, value } = await timed(way.read);
      runs.push(ms);
      found = value;
    }
    runs.sort((a, b) => a - b);
    results[name] = { ms: +(runs[Math.floor(runs.length / 2)] ?? NaN).toFixed(1), found, keys: way.keys };
  }
  return results;
}

describe('import benchmark', () => {
  const config = usersConfig();
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const dir = mkdtempSync(join(tmpdir(), 'concierge-import-bench-'));
  const file = join(dir, 'users.csv');
  let mongo: MongoClient;

  beforeAll(async () => {
    mongo = await new MongoClient(MONGO_BASE).connect();
    // The service creates the collections, their indexes and the organisations, then steps aside:
    // the measured work is the command's alone.
    const users = await startUsers(config);
    for (const code of ORGANIZATIONS) await createOrg(users.url, { code, name: code });
    await users.stop();
    await writeUsersCsv(file, N, { organizations: ORGANIZATIONS });
  });

  afterAll(async () => {
    await mongo.close();
    await dropDatabases([dbName, `${dbName}-raw`]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`prints users per second importing ${N} users, against the raw driver`, async () => {
    const db = mongo.db(dbName);
    const first = runImport(file, config.mongoUri);
    const imported = await db.collection('users').countDocuments();
    const pending =
      (await db.collection('users').countDocuments({ outboxPending: true })) +
      (await db.collection(CREATION_OUTBOX).countDocuments());
    const again =
      process.env.BENCH_REIMPORT === '0'
        ? { seconds: NaN, summary: 'skipped' }
        : runImport(file, config.mongoUri);

    // Baseline: the same documents, as stored (events included, as the import writes them), into
    // an empty collection with the same indexes, by the raw driver in unordered batches of 1000.
    const docs = await db.collection('users').find({}).toArray();
    const raw = mongo.db(`${dbName}-raw`).collection('users');
    for (const index of await db.collection('users').indexes()) {
      if (index.name === '_id_') continue;
      const { key, name, unique, sparse } = index;
      await raw.createIndex(key, { name, unique: unique === true, sparse: sparse === true });
    }
    const baseline = await timed(async () => {
      for (let i = 0; i < docs.length; i += BATCH) {
        await raw.insertMany(docs.slice(i, i + BATCH), { ordered: false });
      }
    });

    const keys = Array.from(
      { length: Math.min(BATCH, N) },
      (_, i) => `default:E${String(1 + ((i * 97) % N)).padStart(8, '0')}`,
    );
    const reads =
      process.env.BENCH_READS === '0' ? 'skipped' : await batchReads(db.collection('users'), keys);

    const importRate = N / first.seconds;
    const rawRate = N / (baseline.ms / 1000);
    console.log(
      JSON.stringify(
        {
          users: N,
          import: {
            seconds: +first.seconds.toFixed(1),
            usersPerSecond: Math.round(importRate),
            summary: first.summary,
          },
          rawDriverInsertMany: {
            seconds: +(baseline.ms / 1000).toFixed(1),
            usersPerSecond: Math.round(rawRate),
          },
          ratioToRawDriver: +(importRate / rawRate).toFixed(2),
          reimportUnchanged: {
            seconds: +again.seconds.toFixed(1),
            rowsPerSecond: Math.round(N / again.seconds),
            summary: again.summary,
          },
          batchReads: reads,
          note: 'external-key ways read by externalKey; _id ways read the same users by _id',
        },
        null,
        2,
      ),
    );
    expect(imported).toBe(N);
    expect(pending).toBe(0); // every event was published before the command returned
    if (again.summary !== 'skipped') expect(again.summary).toContain(`unchanged ${N}`);
  });
});
