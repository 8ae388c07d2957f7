/**
 * Benchmark: the directory at BENCH_USERS users (default 100,000) in 20 organisations, through
 * the gateway, beside the same shapes at 1,000 users in the same run, and beside Keycloak on the
 * same users. One run:
 *   1. imports the users with `npm run import`'s command (users/s), and the same documents with
 *      the raw driver into an empty copy (the ratio);
 *   2. waits for every consumer group to catch up (events/s per group, seconds after the import);
 *   3. drives the gateway with 10 clients for BENCH_SECONDS (default 10) per query shape
 *      (req/s, p50, p99), at 1,000 users and at BENCH_USERS, and prints their ratio;
 *   4. times an unchanged re-import (rows/s; BENCH_REIMPORT=0 skips it);
 *   5. times the lifecycle sweep when 1,000 of the users are due;
 *   6. runs Keycloak 26.7.3 (BENCH_KEYCLOAK=0 skips it) with the same users, measures its admin
 *      API on the matching shapes and prints Concierge/Keycloak ratios.
 * The services run as `npm start` runs them, one process each. Prints its figures; asserts only
 * that the work was done. `npm run bench -- directory` runs it (about 20 minutes; the first run
 * also downloads Keycloak, 179 MB, and loads it, 5 minutes more).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { connectMongo, createLogger, DueSweeper, dueBucketFor, EventContracts } from '@concierge/kit';
import { userModel } from '../../services/users/src/directory/user.model';
import { UserRepository } from '../../services/users/src/directory/user.repository';
import { runDueTransitions } from '../../services/users/src/lifecycle/run-due-transitions';
import { ADMIN, createOrg, dropDatabases, kafka, MONGO_BASE, ROOT, SEAL_KEY } from '../testkit';
import { benchUser, writeUsersCsv } from './generate-users';
import { runImport } from './lib/import-command';
import { admin, loadRealm, startKeycloak } from './lib/keycloak';
import { drive, type LoadResult } from './lib/load';
import { startBenchStack, type BenchStack } from './lib/processes';

const LARGE = Number(process.env.BENCH_USERS ?? 100_000);
const SMALL = 1_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = 10;
const SAMPLES = 500;
const DUE = 1_000;

/** 20 organisations: one root, four divisions, fifteen teams. */
const DIVISIONS = ['DIV-1', 'DIV-2', 'DIV-3', 'DIV-4'];
const TEAMS = Array.from({ length: 15 }, (_, i) => `TEAM-${i + 1}`);
const CODES = ['HQ', ...DIVISIONS, ...TEAMS];

/** Frequent and rare search words of the generated users: a family name, a username's start. */
const FREQUENT_WORDS = ['lovelace', 'hopper', 'turing', 'dijkstra', 'liskov', 'knuth'];
const personWord = (i: number) => `user${String(i).padStart(8, '0').slice(0, 7)}`;

/** A line on stderr as the run goes (Jest shows console.log only at the end). */
const progress = (line: string) => process.stderr.write(`[directory bench] ${line}\n`);

/** A token of a bootstrapped administrator (the token command mints only for users who exist). */
function adminToken(mongoUri: string): string {
  // The stored signing keys are sealed: the token command needs the stack's seal key to sign.
  const env = {
    PATH: process.env.PATH,
    USERS_MONGO_URI: mongoUri,
    LOG_LEVEL: 'error',
    CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
  };
  const cli = (name: string, args: string[]) => {
    const run = spawnSync(process.execPath, [join(ROOT, `services/users/dist/cli/${name}.js`), ...args], {
      encoding: 'utf8',
      env,
    });
    if (run.status !== 0) throw new Error(`${name}: ${run.stderr}`);
    return run.stdout.trim();
  };
  cli('bootstrap-admin', ['--email', 'bench-admin@example.org']);
  return cli('token', ['--email', 'bench-admin@example.org']);
}

async function createTree(stack: BenchStack): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  ids.HQ = await createOrg(stack.usersUrl, { code: 'HQ', name: 'Headquarters' }, ADMIN);
  for (const code of DIVISIONS)
    ids[code] = await createOrg(stack.usersUrl, { code, name: code, parentId: ids.HQ });
  for (const [i, code] of TEAMS.entries()) {
    ids[code] = await createOrg(stack.usersUrl, {
      code,
      name: code,
      parentId: ids[DIVISIONS[i % 4] as string],
    });
  }
  return ids;
}

/** Committed offsets of a group, summed over every partition of every topic it has. */
async function groupPositions(groups: Record<string, string>) {
  const adminClient = kafka.admin();
  await adminClient.connect();
  try {
    const out: Record<string, { committed: number; lag: number }> = {};
    for (const [service, groupId] of Object.entries(groups)) {
      // Only the topics its members are assigned: a group holds offsets of every topic (startAtEnd).
      const [group] = (await adminClient.describeGroups([groupId])).groups;
      const assigned = new Set<string>();
      for (const member of group?.members ?? []) {
        const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        for (const topic of Object.keys(decoded?.assignment ?? {})) assigned.add(topic);
      }
      const topics = (await adminClient.fetchOffsets({ groupId })).filter((t) => assigned.has(t.topic));
      let committed = 0;
      let lag = assigned.size === 0 ? 1 : 0;
      for (const topic of topics) {
        const ends = await adminClient.fetchTopicOffsets(topic.topic);
        for (const p of topic.partitions) {
          const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
          const at = Number(p.offset) < 0 ? 0 : Number(p.offset);
          committed += at;
          lag += Math.max(0, end - at);
        }
      }
      out[service] = { committed, lag };
    }
    return out;
  } finally {
    await adminClient.disconnect();
  }
}

/** Ids to ask for, spread over the users: by external key, one equality each. */
async function sampleUsers(db: Db, count: number) {
  const users = db.collection<{ _id: string; managerId: string | null }>('users');
  const ids: string[] = [];
  const managers: string[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    // Spread over the users, and off the multiples of the step: at 100,000 users a step of 200
    // would land on every team's leader (the first of 50), who has no manager.
    const i = Math.min(count, 1 + Math.floor(((s * 7919) % SAMPLES) * (count / SAMPLES)) + (s % 11));
    const doc = await users.findOne({ externalKey: `default:${benchUser(i, CODES).externalId}` });
    if (doc) ids.push(doc._id);
    if (doc?.managerId) managers.push(doc.managerId);
  }
  return { ids, managers: [...new Set(managers)] };
}

const QUERIES = {
  userById: 'query($id: ID!) { user(id: $id) { id displayName email } }',
  userWithOrganizationAndManager:
    'query($id: ID!) { user(id: $id) { id displayName email organization { id name } manager { id displayName } } }',
  userWithNotifications:
    'query($id: ID!) { user(id: $id) { id displayName notifications(first: 5) { id kind title } } }',
  organizationPageByName:
    'query($org: ID!) { users(first: 20, filter: { organizationId: $org }, sort: DISPLAY_NAME) { edges { node { id displayName email } } pageInfo { endCursor hasNextPage } } }',
  everyonePageByName:
    'query { users(first: 20, sort: DISPLAY_NAME) { edges { node { id displayName email } } pageInfo { endCursor hasNextPage } } }',
  searchPerson:
    'query($text: String!) { users(first: 20, filter: { text: $text }) { edges { node { id displayName email } } } }',
  searchFrequentName:
    'query($text: String!) { users(first: 20, filter: { text: $text }) { edges { node { id displayName email } } } }',
  directReports: 'query($id: ID!) { user(id: $id) { id directReports { id displayName } } }',
} as const;
type Shape = keyof typeof QUERIES;

async function measureConcierge(
  stack: BenchStack,
  token: string,
  count: number,
  sample: { ids: string[]; managers: string[] },
  orgs: Record<string, string>,
) {
  const pick = <T>(list: readonly T[], i: number) => list[(i * 7919) % list.length] as T;
  const variables: Record<Shape, (i: number) => Record<string, unknown>> = {
    userById: (i) => ({ id: pick(sample.ids, i) }),
    userWithOrganizationAndManager: (i) => ({ id: pick(sample.ids, i) }),
    userWithNotifications: (i) => ({ id: pick(sample.ids, i) }),
    organizationPageByName: (i) => ({ org: orgs[pick(TEAMS, i)] }),
    everyonePageByName: () => ({}),
    searchPerson: (i) => ({ text: personWord(1 + ((i * 7919) % count)) }),
    searchFrequentName: (i) => ({ text: pick(FREQUENT_WORDS, i) }),
    directReports: (i) => ({ id: pick(sample.managers, i) }),
  };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const results = {} as Record<Shape, LoadResult>;
  for (const shape of Object.keys(QUERIES) as Shape[]) {
    const load = (seconds: number) =>
      drive({
        clients: CLIENTS,
        seconds,
        next: (i) => ({
          url: stack.gatewayUrl,
          headers,
          body: JSON.stringify({ query: QUERIES[shape], variables: variables[shape](i) }),
        }),
        accept: (status, body) => status === 200 && !body.includes('"errors"') && body.includes('"data"'),
      });
    await load(2); // warm-up: connections, caches, the JIT
    results[shape] = await load(SECONDS);
  }
  return results;
}

/** The services that consume events today; the others' groups have no member. */
const CONSUMERS = ['users', 'notifications'];
const consuming = (groups: Record<string, string>) =>
  Object.fromEntries(Object.entries(groups).filter(([service]) => CONSUMERS.includes(service)));

async function waitCaughtUp(
  groups: Record<string, string>,
  since: number,
  before: Record<string, { committed: number }>,
) {
  const done: Record<string, { events: number; seconds: number; eventsPerSecond: number }> = {};
  const deadline = Date.now() + 30 * 60_000;
  while (Object.keys(done).length < Object.keys(groups).length && Date.now() < deadline) {
    const now = await groupPositions(groups);
    for (const [service, at] of Object.entries(now)) {
      if (done[service] || at.lag > 0) continue;
      const events = at.committed - (before[service]?.committed ?? 0);
      const seconds = (performance.now() - since) / 1000;
      done[service] = { events, seconds: +seconds.toFixed(1), eventsPerSecond: Math.round(events / seconds) };
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return done;
}

async function measureSweep(mongoUri: string, count: number) {
  const db = await connectMongo(mongoUri);
  try {
    const users = new UserRepository(userModel(db));
    const raw = db.collection<{ _id: string }>('users');
    const now = new Date();
    const dueAt = new Date(now.getTime() - 1_000);
    let marked = 0;
    for (let s = 0; marked < DUE && s < DUE * 2; s++) {
      const i = 1 + Math.floor(((s * 104_729) % (DUE * 2)) * (count / (DUE * 2)));
      const doc = await raw.findOne({ externalKey: `default:${benchUser(i, CODES).externalId}` } as never);
      if (!doc) continue;
      await raw.updateOne({ _id: doc._id }, {
        $set: { status: 'PENDING', dueAt, dueAction: 'ACTIVATE', dueBucket: dueBucketFor(dueAt, now) },
      } as never);
      marked++;
    }
    const findStarted = performance.now();
    const due = await users.findDueIn(dueBucketFor(dueAt, now), new Date());
    const findMs = performance.now() - findStarted;
    const sweeper = new DueSweeper({ name: 'bench', db, firstLookbackMs: 5 * 60_000 });
    const fireStarted = performance.now();
    const fired = await runDueTransitions(new Date(), {
      users,
      contracts: new EventContracts(),
      logger: createLogger('bench', 'silent'),
      sweeper,
    });
    const fireMs = performance.now() - fireStarted;
    return {
      due: due.length,
      findDueMs: +findMs.toFixed(1),
      fired,
      sweepAndFireMs: Math.round(fireMs),
    };
  } finally {
    await db.close();
  }
}

async function measureKeycloak(count: number) {
  const kc = await startKeycloak(8480, join(ROOT, '.data', 'test', 'logs', 'keycloak-bench.log'));
  try {
    const loadRate = await loadRealm(kc, 'bench', count, (i) => {
      const u = benchUser(i, CODES);
      return { username: u.username, email: u.email, firstName: u.givenName, lastName: u.familyName };
    });
    const ids: string[] = [];
    for (let s = 0; s < 10; s++) {
      const page = (
        await admin(kc, `/bench/users?first=${Math.floor((s * count) / 10)}&max=50&briefRepresentation=true`)
      ).body as { id: string }[];
      ids.push(...page.map((u) => u.id));
    }
    const shapes: Record<string, (i: number) => string> = {
      userById: (i) => `/bench/users/${ids[(i * 7919) % ids.length]}`,
      firstPage: () => '/bench/users?first=0&max=20',
      searchPerson: (i) => `/bench/users?search=${personWord(1 + ((i * 7919) % count))}&max=20`,
      searchFrequentName: (i) =>
        `/bench/users?search=${FREQUENT_WORDS[(i * 7919) % FREQUENT_WORDS.length]}&max=20`,
    };
    const results: Record<string, LoadResult> = {};
    for (const [shape, path] of Object.entries(shapes)) {
      const load = (seconds: number) =>
        drive({
          clients: CLIENTS,
          seconds,
          next: async (i) => ({
            url: `${kc.url}/admin/realms${path(i)}`,
            method: 'GET',
            headers: { authorization: `Bearer ${await kc.token()}` },
          }),
          accept: (status) => status === 200,
        });
      await load(2);
      results[shape] = await load(SECONDS);
    }
    return {
      usersLoadedPerSecond: loadRate === null ? 'kept from an earlier run' : Math.round(loadRate),
      results,
    };
  } finally {
    await kc.stop();
  }
}

const brief = (r: LoadResult) => ({
  reqPerS: r.perSecond,
  p50: r.p50,
  p99: r.p99,
  failures: r.failures,
  ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
});
const ratio = (a: number, b: number) => +(a / b).toFixed(2);

describe('directory benchmark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-directory-bench-'));
  const logs = join(ROOT, '.data', 'test', 'logs');
  let mongo: MongoClient;
  const dropped: string[] = [];

  beforeAll(async () => {
    mongo = await new MongoClient(MONGO_BASE).connect();
  });
  afterAll(async () => {
    await mongo.close();
    await dropDatabases(dropped);
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `prints the directory's figures at ${LARGE} users against ${SMALL} and Keycloak`,
    async () => {
      const figures: Record<string, unknown> = {
        users: LARGE,
        organizations: CODES.length,
        clients: CLIENTS,
        seconds: SECONDS,
      };

      // The small directory first: its shapes are the baseline the large one is held to.
      progress(`the ${SMALL}-user stack`);
      const small = await startBenchStack('small', 4400, logs);
      dropped.push(...Object.values(small.databases));
      const smallUsersUri = `${MONGO_BASE}/${small.databases.users}`;
      let smallFigures: Record<Shape, LoadResult>;
      try {
        const orgs = await createTree(small);
        await writeUsersCsv(join(dir, 'small.csv'), SMALL, { organizations: CODES });
        runImport(join(dir, 'small.csv'), smallUsersUri);
        await waitCaughtUp(
          consuming(small.groups),
          performance.now(),
          await groupPositions(consuming(small.groups)),
        );
        const sample = await sampleUsers(mongo.db(small.databases.users), SMALL);
        progress('measuring the gateway');
        smallFigures = await measureConcierge(small, adminToken(smallUsersUri), SMALL, sample, orgs);
        progress(
          JSON.stringify(Object.fromEntries(Object.entries(smallFigures).map(([k, v]) => [k, brief(v)]))),
        );
      } finally {
        await small.stop();
      }

      progress(`the ${LARGE}-user stack`);
      const large = await startBenchStack('large', 4500, logs);
      dropped.push(...Object.values(large.databases), `${large.databases.users}-raw`);
      const usersUri = `${MONGO_BASE}/${large.databases.users}`;
      let largeFigures: Record<Shape, LoadResult>;
      const file = join(dir, 'large.csv');
      try {
        const orgs = await createTree(large);
        await writeUsersCsv(file, LARGE, { organizations: CODES });
        const before = await groupPositions(consuming(large.groups));
        const importStarted = performance.now();
        progress('importing');
        const imported = runImport(file, usersUri);
        progress(`imported in ${imported.seconds.toFixed(1)} s; waiting for the consumers`);
        const importEnded = performance.now();
        const caughtUp = await waitCaughtUp(consuming(large.groups), importStarted, before);
        figures.import = {
          seconds: +imported.seconds.toFixed(1),
          usersPerSecond: Math.round(LARGE / imported.seconds),
          summary: imported.summary,
        };
        figures.consumers = Object.fromEntries(
          Object.entries(caughtUp).map(([service, c]) => [
            service,
            { ...c, secondsAfterImportEnded: +(c.seconds - (importEnded - importStarted) / 1000).toFixed(1) },
          ]),
        );

        // Baseline: the same documents, as stored, into an empty collection with the same indexes.
        const db = mongo.db(large.databases.users);
        const docs = await db.collection('users').find({}).toArray();
        const raw = mongo.db(`${large.databases.users}-raw`).collection('users');
        for (const index of await db.collection('users').indexes()) {
          if (index.name === '_id_') continue;
          await raw.createIndex(index.key, {
            name: index.name,
            unique: index.unique === true,
            sparse: index.sparse === true,
          });
        }
        progress(JSON.stringify({ import: figures.import, consumers: figures.consumers }));
        progress('raw driver baseline');
        const rawStarted = performance.now();
        for (let i = 0; i < docs.length; i += 1_000)
          await raw.insertMany(docs.slice(i, i + 1_000), { ordered: false });
        const rawSeconds = (performance.now() - rawStarted) / 1000;
        figures.rawDriverInsertMany = {
          seconds: +rawSeconds.toFixed(1),
          usersPerSecond: Math.round(LARGE / rawSeconds),
        };
        figures.importToRawDriver = ratio(rawSeconds, imported.seconds);
        expect(docs).toHaveLength(LARGE);

        const sample = await sampleUsers(db, LARGE);
        progress('measuring the gateway');
        largeFigures = await measureConcierge(large, adminToken(usersUri), LARGE, sample, orgs);

        progress(
          JSON.stringify(Object.fromEntries(Object.entries(largeFigures).map(([k, v]) => [k, brief(v)]))),
        );
        if (process.env.BENCH_REIMPORT !== '0') {
          progress('re-importing');
          const again = runImport(file, usersUri);
          figures.reimportUnchanged = {
            seconds: +again.seconds.toFixed(1),
            rowsPerSecond: Math.round(LARGE / again.seconds),
            summary: again.summary,
          };
          expect(again.summary).toContain(`unchanged ${LARGE}`);
        }
      } finally {
        await large.stop();
      }
      figures.gateway = Object.fromEntries(
        (Object.keys(QUERIES) as Shape[]).map((shape) => [
          shape,
          {
            [SMALL]: brief(smallFigures[shape]),
            [LARGE]: brief(largeFigures[shape]),
            reqPerSRatioLargeToSmall: ratio(largeFigures[shape].perSecond, smallFigures[shape].perSecond),
          },
        ]),
      );
      progress('sweep');
      figures.sweep = await measureSweep(usersUri, LARGE);

      if (process.env.BENCH_KEYCLOAK !== '0') {
        progress('Keycloak');
        const kc = await measureKeycloak(LARGE);
        const r = kc.results as Record<string, LoadResult>;
        figures.keycloak = {
          usersLoadedPerSecond: kc.usersLoadedPerSecond,
          ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, brief(v)])),
        };
        const ours = (shape: Shape) => largeFigures[shape].perSecond;
        figures.conciergeToKeycloak = {
          userById: ratio(ours('userById'), r.userById?.perSecond ?? NaN),
          firstPageOfEveryone: ratio(ours('everyonePageByName'), r.firstPage?.perSecond ?? NaN),
          firstPageOfAnOrganization: ratio(ours('organizationPageByName'), r.firstPage?.perSecond ?? NaN),
          searchPerson: ratio(ours('searchPerson'), r.searchPerson?.perSecond ?? NaN),
          searchFrequentName: ratio(ours('searchFrequentName'), r.searchFrequentName?.perSecond ?? NaN),
        };
      }
      progress(JSON.stringify(figures, null, 2));
      for (const shape of Object.keys(QUERIES) as Shape[])
        expect(largeFigures[shape].requests).toBeGreaterThan(0);
      expect((figures.sweep as { fired: number }).fired).toBe(DUE);
    },
    4 * 3_600_000,
  );
});
