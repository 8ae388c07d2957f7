/**
 * Benchmark: the storage shapes the hot paths use, at BENCH_USERS users (default 100,000) beside
 * 1,000 users measured in the same run, on the database infra/ runs (FerretDB on PostgreSQL).
 * Lookups by _id, by a unique field and by manager; a batch of 100 users by id through the kit's
 * findByKeys against one `$in`; and a scheduler sweep when BENCH_DUE (default 1,000) of them are
 * due: finding them, then firing them. Prints p50/p99 and the large/small ratios; asserts only
 * that the work was done.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectMongo, createLogger, DueSweeper, dueBucketFor, EventContracts } from '@concierge/kit';
import { userModel } from '../../services/users/src/directory/user.model';
import { UserRepository } from '../../services/users/src/directory/user.repository';
import { runDueTransitions } from '../../services/users/src/lifecycle/run-due-transitions';
import { dropDatabases, MONGO_BASE } from '../testkit';

const LARGE = Number(process.env.BENCH_USERS ?? 100_000);
const SMALL = 1_000;
const DUE = Number(process.env.BENCH_DUE ?? 1_000);
const SAMPLES = 300;

function user(i: number, now: Date, due: boolean) {
  const manager = i - (i % 50);
  return {
    _id: `u-${i}`,
    externalId: `E${i}`,
    source: 'default',
    externalKey: `default:E${i}`,
    username: `user${i}@bench.example.org`,
    email: `user${i}@bench.example.org`,
    givenName: 'Bench',
    familyName: `User ${i}`,
    displayName: `Bench User ${String(i).padStart(7, '0')}`,
    title: 'Engineer',
    department: 'Engineering',
    employeeType: 'EMPLOYEE',
    organizationId: `org-${i % 20}`,
    managerId: i === manager ? null : `u-${manager}`,
    attributes: {},
    status: due ? 'PENDING' : 'ACTIVE',
    startDate: due ? new Date(now.getTime() - 1_000) : new Date('2020-01-01T00:00:00Z'),
    endDate: null,
    dueAt: due ? new Date(now.getTime() - 1_000) : null,
    dueAction: due ? 'ACTIVATE' : null,
    dueBucket: due ? dueBucketFor(new Date(now.getTime() - 1_000), now) : null,
    createdAt: now,
    updatedAt: now,
    outbox: [],
    outboxPending: false,
    outboxSeq: 1,
  };
}

async function seed(db: Connection, count: number, due: number, now: Date): Promise<void> {
  await userModel(db).init();
  const collection = db.collection('users');
  // The due users are spread over the collection, not bunched at its start.
  const every = Math.max(1, Math.floor(count / Math.max(due, 1)));
  for (let i = 0; i < count; i += 2_000) {
    const docs = [];
    for (let j = i; j < Math.min(i + 2_000, count); j++)
      docs.push(user(j, now, due > 0 && j % every === 1 && j / every < due));
    await collection.insertMany(docs as never[], { ordered: false });
  }
}

function percentiles(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(2);
  return { p50: at(0.5), p99: at(0.99) };
}

async function sample(count: number, work: (i: number) => Promise<unknown>, samples = SAMPLES) {
  const ms: number[] = [];
  for (let s = 0; s < samples; s++) {
    // Keys spread over the whole collection: findOne stops at the first match.
    const i = Math.floor(((s * 7919) % samples) * (count / samples));
    const started = performance.now();
    await work(i);
    ms.push(performance.now() - started);
  }
  return percentiles(ms);
}

async function measure(db: Connection, count: number) {
  const users = new UserRepository(userModel(db));
  const raw = db.collection('users');
  const ids = (i: number) => Array.from({ length: 100 }, (_, k) => `u-${(i + k * 977) % count}`);
  return {
    byId: await sample(count, (i) => users.findById(`u-${i}`)),
    byEmail: await sample(count, (i) => raw.findOne({ email: `user${i}@bench.example.org` })),
    directReports: await sample(count, (i) => users.findByManagerIds([`u-${i - (i % 50)}`])),
    batchOf100ById: await sample(count, (i) => users.findByIds(ids(i))),
    // The shape the helpers avoid on FerretDB, for comparison: it reads the whole collection there.
    inOf100Ids: await sample(count, (i) => raw.find({ _id: { $in: ids(i) } } as never).toArray(), 5),
  };
}

describe('storage benchmark', () => {
  const names = [
    `bench-storage-large-${randomUUID().slice(0, 8)}`,
    `bench-storage-small-${randomUUID().slice(0, 8)}`,
  ];
  let large: Connection;
  let small: Connection;
  const now = new Date();

  beforeAll(async () => {
    large = await connectMongo(`${MONGO_BASE}/${names[0]}`);
    small = await connectMongo(`${MONGO_BASE}/${names[1]}`);
    const started = performance.now();
    await seed(large, LARGE, DUE, now);
    const seeded = (performance.now() - started) / 1000;
    await seed(small, SMALL, 0, now);
    console.log(
      `seeded ${LARGE} users in ${seeded.toFixed(1)} s (${Math.round(LARGE / seeded)} docs/s, raw insertMany)`,
    );
  });
  afterAll(async () => {
    await large.close();
    await small.close();
    await dropDatabases(names);
  });

  it(`prints lookup latencies at ${LARGE} users against ${SMALL}, and a sweep with ${DUE} due`, async () => {
    // Right after the seed PostgreSQL's caches are cold and autovacuum works on the new table: one
    // whole round first, unreported.
    await measure(large, LARGE);
    const big = await measure(large, LARGE);
    const little = await measure(small, SMALL);
    const ratios = Object.fromEntries(
      Object.entries(big).map(([k, v]) => [k, +(v.p50 / little[k as keyof typeof little].p50).toFixed(2)]),
    );

    const users = new UserRepository(userModel(large));
    const bucket = dueBucketFor(now, now);
    const found = performance.now();
    const due = await users.findDueIn(bucket, new Date());
    const findMs = performance.now() - found;

    const logger = createLogger('bench', 'silent');
    const sweeper = new DueSweeper({ name: 'bench', db: large, firstLookbackMs: 5 * 60_000 });
    const fired = performance.now();
    const count = await runDueTransitions(new Date(), {
      users,
      contracts: new EventContracts(),
      logger,
      sweeper,
    });
    const fireMs = performance.now() - fired;

    const figures = {
      users: LARGE,
      p50p99ms: { [LARGE]: big, [SMALL]: little },
      p50RatioLargeToSmall: ratios,
      sweep: {
        due: due.length,
        findDueMs: +findMs.toFixed(1),
        fired: count,
        sweepAndFireMs: +fireMs.toFixed(0),
        firedPerSecond: Math.round(count / (fireMs / 1000)),
      },
    };
    console.log(JSON.stringify(figures, null, 2));
    expect(due).toHaveLength(DUE);
    expect(count).toBe(DUE);
  });
});
