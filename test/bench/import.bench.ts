/**
 * Benchmark: `npm run import` of BENCH_USERS users from CSV, end to end (the built command in its
 * own process, including every user.created and set-password event published to Kafka), against a
 * baseline of the same documents inserted with the raw MongoDB driver into the same database in
 * the same run. Then a re-import of the unchanged file, and the batch read the upsert depends on:
 * `$in` against its alternatives. Prints its figures; asserts only that the work was done.
 *
 * The default is 1,000 users: on FerretDB over SQLite every filter but `_id` equality reads the
 * whole collection, so each batch's `$in` read grows with the collection and 100,000 users take
 * tens of minutes there (README, "FerretDB and MongoDB").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { CREATION_OUTBOX } from '@concierge/kit';
import { BROKERS, createOrg, dropDatabases, MONGO_BASE, ROOT, SEAL_KEY, usersConfig } from '../testkit';
import { startServer as startUsers } from '@concierge/users';
import { writeUsersCsv } from './generate-users';

const N = Number(process.env.BENCH_USERS ?? 1_000);
const BATCH = 1_000;
const ORGANIZATIONS = ['HQ', 'SALES', 'OPS', 'RESEARCH'];

function runImport(file: string, mongoUri: string) {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      // Node options for profiling, e.g. BENCH_NODE_ARGS=--cpu-prof
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []),
      join(ROOT, 'services/users/dist/cli/import.js'),
      file,
    ],
    {
      encoding: 'utf8',
      timeout: 1_200_000,
      env: {
        PATH: process.env.PATH,
        USERS_MONGO_URI: mongoUri,
        KAFKA_BROKERS: BROKERS.join(','),
        CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
        LOG_LEVEL: 'error',
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`import exited ${run.status}: ${run.stderr}\n${run.stdout}`);
  return { seconds, summary: run.stdout.trim() };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/**
 * Reads `keys` by external key (and the same users by `_id`) in the ways the upsert could; returns
 * ms per way and rows found. FerretDB 1.24 on SQLite pushes down only `_id` equality.
 */
async function batchReads(users: Collection<Document>, keys: string[]) {
  const equality = async (k: string) => users.findOne({ externalKey: k }, { projection: { _id: 1 } });
  const ids = (await users.find({ externalKey: { $in: keys } }, { projection: { _id: 1 } }).toArray()).map(
    (d) => d._id as unknown as string,
  );
  const byId = async (id: string) => users.findOne({ _id: id as never }, { projection: { _id: 1 } });
  const ways: Record<string, () => Promise<number>> = {
    '_id $in, one query': async () =>
      (await users.find({ _id: { $in: ids as never[] } }, { projection: { _id: 1 } }).toArray()).length,
    '_id equality per key, 50 at a time': async () => {
      let found = 0;
      for (let i = 0; i < ids.length; i += 50) {
        found += (await Promise.all(ids.slice(i, i + 50).map(byId))).filter(Boolean).length;
      }
      return found;
    },
    '$in, one query': async () =>
      (await users.find({ externalKey: { $in: keys } }, { projection: { _id: 1 } }).toArray()).length,
    '$or of equalities, one query': async () =>
      (await users.find({ $or: keys.map((k) => ({ externalKey: k })) }, { projection: { _id: 1 } }).toArray())
        .length,
    'one equality query per key, 50 at a time': async () => {
      let found = 0;
      for (let i = 0; i < keys.length; i += 50) {
        found += (await Promise.all(keys.slice(i, i + 50).map(equality))).filter(Boolean).length;
      }
      return found;
    },
  };
  // Each non-_id equality query reads the whole collection: above 2000 users this way alone takes minutes.
  if (N > 2_000) delete ways['one equality query per key, 50 at a time'];
  const results: Record<string, { ms: number; found: number }> = {};
  for (const [name, read] of Object.entries(ways)) {
    const runs: number[] = [];
    let found = 0;
    for (let r = 0; r < 3; r++) {
      const { ms, value } = await timed(read);
      runs.push(ms);
      found = value;
    }
    runs.sort((a, b) => a - b);
    results[name] = { ms: +(runs[1] ?? NaN).toFixed(1), found };
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
          batchReadOf1000Keys: reads,
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
