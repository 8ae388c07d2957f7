/**
 * Benchmark: what authorization costs on the gateway's hot reads, `user(id)` and
 * `users(first: 20)`, per kind of caller. Authorization here is the gateway resolving the caller's
 * admin grants and signing them into the principal (server.ts `currentPrincipal`,
 * admin-grants.ts), and the users subgraph's checks with them (the kit's policy; `user(id)`
 * against the user's organisation path, `users` filtered to the reachable organisations inside
 * the database query, org-scope.ts). Target: under 10% on the median.
 * One run:
 *   1. starts the subgraphs once (one process each, as `npm start` runs them), creates an
 *      organisation tree (three regions of two or three countries), imports BENCH_USERS users
 *      (default 4,000) spread over the countries, and a global administrator (bootstrap-admin);
 *   2. starts two more users subgraphs (replicas on the same database) and two gateways, in
 *      processes of their own, identical but for the switch: authorization ON (production) and
 *      OFF (subgraph-runner.js makes the kit's policy allow every signed-in caller everything;
 *      gateway-runner.js stops the gateway resolving admin grants; the environment can do
 *      neither). Each gateway sends the users subgraph's calls to its own replica; the other
 *      subgraphs, which these queries do not reach, are the stack's;
 *   3. gets each caller's bearer token (CALLERS: a global administrator; a USER_ADMIN of one
 *      region and its countries, assigned through the graph; an API token that USER_ADMIN made for
 *      the region with user:read, user:list and organization:read) and checks that the switch bites:
 *      with it ON a plain user reads nobody else, the USER_ADMIN reads nobody outside the region
 *      and lists only the region; with it OFF they read and list everyone;
 *   4. warms up every cell, then drives every caller x query with BENCH_CLIENTS clients (default
 *      8) for BENCH_SECONDS (default 4), BENCH_ROUNDS times (default 8), ON and OFF interleaved
 *      (ON, OFF then OFF, ON, alternating from one cell to the next) so drift falls on both. The
 *      users read by `user(id)` all sit inside the USER_ADMIN's region, the same ids in the same
 *      order for every caller and both sides.
 * Prints, per caller and query, the median over rounds of req/s, p50 and p99 for ON and OFF, the
 * CPU per request of the driven gateway and users replica and of this stack's FerretDB and
 * PostgreSQL (from /proc; the databases also serve the stack's idle services meanwhile), and the
 * ON/OFF ratios (also the median of each round's own p50 ratio). On a shared 2-core machine only
 * ratios within one run mean anything. Asserts only that the work was done and that the switch
 * bites.
 * `npm run bench -- authorization` runs it (about 6 minutes with the defaults).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import {
  ADMIN,
  createOrg,
  dropDatabases,
  eventually,
  graphql,
  MONGO_BASE,
  ROOT,
  SEAL_KEY,
  type GraphQLResponse,
} from '../testkit';
import { writeUsersCsv } from './generate-users';
import { startGatewayProcess, type GatewayProcess } from './lib/gateway-process';
import { runImport } from './lib/import-command';
import { drive, median, ratio, round1, type LoadResult } from './lib/load';
import { startBenchStack, type BenchStack } from './lib/processes';
import { databaseCpuMs } from './lib/stack-cpu';
import { startSubgraphProcess, type SubgraphProcess } from './lib/subgraph-process';

const USERS = Number(process.env.BENCH_USERS ?? 4000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
/** Per cell and side, in two slices: connections, the JIT, query plans, cached answers. */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 4);
/** The stack's gateway and subgraphs (processes.ts: users, access-requests, delegation, notifications). */
const BASE_PORT = 4700;
const PORTS = {
  on: { gateway: 4710, users: 4712 },
  off: { gateway: 4711, users: 4713 },
} as const;
type Mode = keyof typeof PORTS;

/** Regions and their countries; users live in the countries. The USER_ADMIN holds SCOPE and below. */
const TREE: Record<string, string[]> = {
  EMEA: ['DE', 'FR'],
  AMER: ['US', 'CA', 'BR'],
  APAC: ['JP', 'IN', 'AU'],
};
const SCOPE = 'EMEA';
const COUNTRIES = Object.values(TREE).flat();
const ADMIN_EMAIL = 'bench-authz-admin@example.org';

const USER = 'query($id: ID!) { user(id: $id) { id email displayName status organization { id } } }';
const PAGE_SIZE = 20;
const USERS_PAGE = `{ users(first: ${PAGE_SIZE}) { edges { node { id email displayName status organization { id } } } pageInfo { hasNextPage endCursor } } }`;
const LISTED = `{ users(first: ${PAGE_SIZE}) { totalCount edges { node { organization { id } } } } }`;
const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;
const ASSIGN = `mutation($input: AssignAdminRoleInput!) { assignAdminRole(input: $input) { id status } }`;

/** What the setup made, for the callers to get their tokens with. */
interface Setup {
  /** The stack's own gateway, for setup calls through the graph. */
  gatewayUrl: string;
  usersMongoUri: string;
  /** A global administrator's token (roles: admin). */
  adminToken: string;
  /** Organisation id by code. */
  organizations: Record<string, string>;
  /** Imported users' ids by organisation code. */
  usersIn: Record<string, string[]>;
}

/**
 * Who calls: a name and how to get their bearer token. A kind of caller is one more entry; it must
 * be able to read the users inside SCOPE (the ids `user(id)` asks for) and list users. The
 * benchmark checks that each caller's two queries answer on both sides before it measures.
 */
const CALLERS: { name: string; token: (setup: Setup) => Promise<string> }[] = [
  { name: 'global admin', token: async (setup) => setup.adminToken },
  {
    name: 'scoped USER_ADMIN',
    token: async (setup) => {
      const userId = (setup.usersIn.DE as string[])[0] as string;
      await assignUserAdmin(setup, userId, setup.organizations[SCOPE] as string);
      return mintToken(setup.usersMongoUri, ['--user', userId]);
    },
  },
  {
    // Made by that USER_ADMIN for SCOPE: at each use it holds what its creator holds there.
    name: 'API token',
    token: async (setup) => {
      const creator = (setup.usersIn.DE as string[])[0] as string;
      const res = await graphql<{ createApiToken: { secret: string } }>(
        setup.gatewayUrl,
        CREATE_TOKEN,
        {
          input: {
            name: 'Authorization benchmark',
            organizationId: setup.organizations[SCOPE],
            capabilities: ['user:read', 'user:list', 'organization:read'],
            expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          },
        },
        { authorization: `Bearer ${await mintToken(setup.usersMongoUri, ['--user', creator])}` },
      );
      if (!res.data) throw new Error(`createApiToken failed: ${JSON.stringify(res.errors)}`);
      return res.data.createApiToken.secret;
    },
  },
];

/** A line on stderr as the run goes (Jest shows console.log only at the end). */
const progress = (line: string) => process.stderr.write(`[authorization bench] ${line}\n`);

/** Runs one of the users service's built commands against the users database; its stdout. */
function usersCommand(command: string, args: string[], mongoUri: string): string {
  const run = spawnSync(process.execPath, [join(ROOT, `services/users/dist/cli/${command}.js`), ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      USERS_MONGO_URI: mongoUri,
      CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
      // The longest a token may live: the run must not outlast it.
      USERS_ACCESS_TOKEN_TTL_S: '3600',
      LOG_LEVEL: 'error',
    },
  });
  if (run.status !== 0) throw new Error(`${command}: ${run.stderr}`);
  return run.stdout.trim();
}

/** An access token from the token command (no sign-in: it stands while the user is ACTIVE). */
const mintToken = async (mongoUri: string, args: string[]) => usersCommand('token', args, mongoUri);

/** Makes `userId` USER_ADMIN of `organizationId` and below, through the graph, as the administrator. */
async function assignUserAdmin(setup: Setup, userId: string, organizationId: string): Promise<void> {
  const input = {
    userId,
    role: 'USER_ADMIN',
    scope: { kind: 'ORGANIZATION', id: organizationId, subtree: true },
    reason: 'authorization benchmark',
  };
  // The delegation service learns people and places from events: it may not know them yet.
  const res = await eventually(async () => {
    const answer = await graphql<{ assignAdminRole: { status: string } }>(
      setup.gatewayUrl,
      ASSIGN,
      { input },
      { authorization: `Bearer ${setup.adminToken}` },
    );
    const reason = answer.errors?.[0]?.extensions?.reason;
    return reason === 'ADMIN_ROLE.ASSIGNEE' || reason === 'ADMIN_ROLE.SCOPE' ? undefined : answer;
  }, 180_000);
  if (res.data?.assignAdminRole.status !== 'ACTIVE')
    throw new Error(`assignAdminRole failed: ${JSON.stringify(res.errors)}`);
}

const row = (...cells: (string | number)[]) =>
  `  ${cells.map((c, i) => String(c).padEnd(i === 0 ? 36 : 9)).join(' ')}`;
const brief = (r: LoadResult) => ({
  reqPerS: r.perSecond,
  p50: r.p50,
  p99: r.p99,
  failures: r.failures,
  ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
});

/** One load: the answers and the CPU each process spent per answer (µs). */
interface Measured {
  result: LoadResult;
  cpuUsPerRequest: { gateway: number; users: number; ferretdb: number; postgres: number };
}

describe('authorization benchmark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-authz-bench-'));
  const logs = join(ROOT, '.data', 'test', 'logs');
  const dropped: string[] = [];
  let stack: BenchStack | undefined;
  const processes: { stop: () => Promise<void> }[] = [];

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await stack?.stop();
    await dropDatabases(dropped);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`prints user(id) and users(first: ${PAGE_SIZE}) per caller with authorization on and off, ${ROUNDS} rounds each`, async () => {
    progress('the stack');
    stack = await startBenchStack('authz', BASE_PORT, logs);
    dropped.push(...Object.values(stack.databases));
    const usersMongoUri = `${MONGO_BASE}/${stack.databases.users}`;

    progress('the organisation tree, a global administrator, the users');
    const organizations: Record<string, string> = {};
    const top = await createOrg(stack.usersUrl, { code: 'HQ', name: 'Headquarters' }, ADMIN);
    for (const [region, countries] of Object.entries(TREE)) {
      organizations[region] = await createOrg(
        stack.usersUrl,
        { code: region, name: region, parentId: top },
        ADMIN,
      );
      for (const code of countries)
        organizations[code] = await createOrg(
          stack.usersUrl,
          { code, name: code, parentId: organizations[region] },
          ADMIN,
        );
    }
    usersCommand('bootstrap-admin', ['--email', ADMIN_EMAIL], usersMongoUri);
    const adminToken = await mintToken(usersMongoUri, ['--email', ADMIN_EMAIL, '--role', 'admin']);
    await writeUsersCsv(join(dir, 'users.csv'), USERS, { organizations: COUNTRIES });
    const imported = runImport(join(dir, 'users.csv'), usersMongoUri);
    const usersIn: Record<string, string[]> = {};
    const codeOf = new Map(Object.entries(organizations).map(([code, id]) => [id, code]));
    const mongo = await new MongoClient(MONGO_BASE).connect();
    try {
      const users = mongo
        .db(stack.databases.users)
        .collection<{ _id: string; organizationId: string }>('users');
      const all = await users.find({}, { projection: { _id: 1, organizationId: 1 } }).toArray();
      for (const u of all) {
        const code = codeOf.get(u.organizationId);
        if (code) (usersIn[code] ??= []).push(u._id);
      }
    } finally {
      await mongo.close();
    }
    const inScope = TREE[SCOPE]?.flatMap((code) => usersIn[code] ?? []) ?? [];
    const outside = COUNTRIES.filter((c) => !TREE[SCOPE]?.includes(c)).flatMap((c) => usersIn[c] ?? []);
    const importedCount = inScope.length + outside.length;
    expect(importedCount).toBe(USERS);
    const setup: Setup = {
      gatewayUrl: stack.gatewayUrl,
      usersMongoUri,
      adminToken,
      organizations,
      usersIn,
    };

    progress('users replicas and gateways: authorization on and off');
    const origin = (offset: number) => `http://127.0.0.1:${BASE_PORT + offset}`;
    const url = {} as Record<Mode, string>;
    const running = {} as Record<Mode, { gateway: GatewayProcess; users: SubgraphProcess }>;
    for (const mode of Object.keys(PORTS) as Mode[]) {
      const users = await startSubgraphProcess({
        label: `authz-${mode}`,
        service: 'users',
        port: PORTS[mode].users,
        authorization: mode === 'on',
        database: stack.databases.users as string,
        group: stack.groups.users as string,
        logDir: logs,
      });
      processes.push(users);
      const gateway = await startGatewayProcess({
        label: `authz-${mode}`,
        port: PORTS[mode].gateway,
        hardening: true,
        authorization: mode === 'on',
        subgraphs: {
          users: users.origin,
          accessRequests: origin(2),
          delegation: origin(3),
          notifications: origin(4),
        },
        logDir: logs,
      });
      processes.push(gateway);
      url[mode] = gateway.url;
      running[mode] = { gateway, users };
    }

    progress('the callers');
    const tokens: Record<string, string> = {};
    for (const caller of CALLERS) tokens[caller.name] = await caller.token(setup);

    const queries = [
      {
        name: 'user(id)',
        // The same ids in the same order for every caller and side, spread over the scope.
        body: (i: number) =>
          JSON.stringify({ query: USER, variables: { id: inScope[(i * 7919) % inScope.length] } }),
        accept: (status: number, body: string) =>
          status === 200 && body.includes('"user":{"id"') && !body.includes('"errors"'),
      },
      {
        name: `users(first: ${PAGE_SIZE})`,
        body: () => JSON.stringify({ query: USERS_PAGE }),
        // A full page, and nothing refused.
        accept: (status: number, body: string) =>
          status === 200 && body.split('"node":').length - 1 === PAGE_SIZE && !body.includes('"errors"'),
      },
    ];
    const load = (mode: Mode, caller: string, query: (typeof queries)[number], seconds: number) =>
      drive({
        clients: CLIENTS,
        seconds,
        next: (i) => ({
          url: url[mode],
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[caller]}` },
          body: query.body(i),
        }),
        accept: query.accept,
      });

    // Each caller's queries answer on both sides (the USER_ADMIN's grants are live) before timing.
    for (const caller of CALLERS)
      for (const query of queries)
        for (const mode of Object.keys(PORTS) as Mode[])
          await eventually(async () => {
            const res = await fetch(url[mode], {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[caller.name]}` },
              body: query.body(0),
            });
            return query.accept(res.status, await res.text());
          }, 60_000);

    progress('the switch bites');
    const plainUser = (usersIn.US as string[])[1] as string;
    const plainToken = await mintToken(usersMongoUri, ['--user', plainUser]);
    const someoneElse = (usersIn.JP as string[])[1] as string;
    const userAdminToken = tokens['scoped USER_ADMIN'] as string;
    const read = async (mode: Mode, token: string, id: string) =>
      (
        await graphql<{ user: { id: string } | null }>(
          url[mode],
          USER,
          { id },
          { authorization: `Bearer ${token}` },
        )
      ).data?.user?.id ?? null;
    const list = async (mode: Mode, token: string) => {
      const res: GraphQLResponse<{
        users: { totalCount: number; edges: { node: { organization: { id: string } } }[] };
      }> = await graphql(url[mode], LISTED, {}, { authorization: `Bearer ${token}` });
      if (!res.data) throw new Error(`users failed: ${JSON.stringify(res.errors)}`);
      const scopeIds = new Set([SCOPE, ...(TREE[SCOPE] ?? [])].map((code) => organizations[code]));
      return {
        totalCount: res.data.users.totalCount,
        outsideScopeOnFirstPage: res.data.users.edges.filter((e) => !scopeIds.has(e.node.organization.id))
          .length,
      };
    };
    const switchBites = {
      plainUserReadsSomeoneElse: {
        on: await read('on', plainToken, someoneElse),
        off: await read('off', plainToken, someoneElse),
      },
      userAdminReadsOutsideScope: {
        on: await read('on', userAdminToken, outside[0] as string),
        off: await read('off', userAdminToken, outside[0] as string),
      },
      userAdminLists: { on: await list('on', userAdminToken), off: await list('off', userAdminToken) },
      usersInScope: inScope.length,
      // The administrator and the users imported.
      usersInAll: importedCount + 1,
    };
    progress(JSON.stringify(switchBites));

    const cells = CALLERS.flatMap((caller) => queries.map((query) => ({ caller: caller.name, query })));
    const key = (cell: (typeof cells)[number]) => `${cell.caller} / ${cell.query.name}`;

    progress('warm-up');
    for (const cell of cells)
      for (const mode of ['on', 'off', 'on', 'off'] as Mode[])
        await load(mode, cell.caller, cell.query, WARM_UP_SECONDS / 2);

    const rounds: Record<string, Record<Mode, Measured[]>> = {};
    for (const cell of cells) rounds[key(cell)] = { on: [], off: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [c, cell] of cells.entries()) {
        // ON, OFF then OFF, ON, from one cell to the next and from one round to the next.
        const order: Mode[] = (r + c) % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
        for (const mode of order) {
          const { gateway, users } = running[mode];
          const before = { gateway: gateway.cpuMs(), users: users.cpuMs(), ...databaseCpuMs() };
          const result = await load(mode, cell.caller, cell.query, SECONDS);
          const after = { gateway: gateway.cpuMs(), users: users.cpuMs(), ...databaseCpuMs() };
          const perRequest = (name: keyof typeof after) =>
            round1(((after[name] - before[name]) * 1000) / Math.max(1, result.requests));
          const measured: Measured = {
            result,
            cpuUsPerRequest: {
              gateway: perRequest('gateway'),
              users: perRequest('users'),
              ferretdb: perRequest('ferretdb'),
              postgres: perRequest('postgres'),
            },
          };
          (rounds[key(cell)] as Record<Mode, Measured[]>)[mode].push(measured);
          progress(
            `round ${r + 1}/${ROUNDS} ${key(cell)} ${mode}: ${JSON.stringify({ ...brief(result), cpuUsPerRequest: measured.cpuUsPerRequest })}`,
          );
        }
      }
    }

    const summary = (runs: Measured[]) => ({
      reqPerS: round1(median(runs.map((m) => m.result.perSecond))),
      p50: round1(median(runs.map((m) => m.result.p50))),
      p99: round1(median(runs.map((m) => m.result.p99))),
      requests: runs.reduce((n, m) => n + m.result.requests, 0),
      failures: runs.reduce((n, m) => n + m.result.failures, 0),
      cpuUsPerRequest: {
        gateway: round1(median(runs.map((m) => m.cpuUsPerRequest.gateway))),
        users: round1(median(runs.map((m) => m.cpuUsPerRequest.users))),
        ferretdb: round1(median(runs.map((m) => m.cpuUsPerRequest.ferretdb))),
        postgres: round1(median(runs.map((m) => m.cpuUsPerRequest.postgres))),
      },
    });
    const results: Record<string, Record<string, unknown>> = {};
    const table = [
      row('caller / query', 'side', 'req/s', 'p50 ms', 'p99 ms', 'gw µs', 'users µs', 'ferret µs', 'pg µs'),
    ];
    for (const cell of cells) {
      const runs = rounds[key(cell)] as Record<Mode, Measured[]>;
      const on = summary(runs.on);
      const off = summary(runs.off);
      const onToOff = {
        p50: ratio(on.p50, off.p50),
        p99: ratio(on.p99, off.p99),
        reqPerS: ratio(on.reqPerS, off.reqPerS),
        // Each round's ON p50 over the same round's OFF p50, the median of those: drift cancels.
        p50PerRoundMedian: ratio(
          median(runs.on.map((m, r) => m.result.p50 / (runs.off[r] as Measured).result.p50)),
          1,
        ),
      };
      (results[cell.caller] ??= {})[cell.query.name] = {
        on,
        off,
        onToOff,
        p50OverheadPercent: round1((on.p50 / off.p50 - 1) * 100),
        withinTarget: on.p50 < off.p50 * 1.1,
      };
      for (const [side, s] of [
        ['on', on],
        ['off', off],
      ] as const)
        table.push(
          row(
            side === 'on' ? key(cell) : '',
            side,
            s.reqPerS,
            s.p50,
            s.p99,
            s.cpuUsPerRequest.gateway,
            s.cpuUsPerRequest.users,
            s.cpuUsPerRequest.ferretdb,
            s.cpuUsPerRequest.postgres,
          ),
        );
      table.push(row('', 'on/off', onToOff.reqPerS, onToOff.p50, onToOff.p99));
    }
    const figures = {
      queries: { 'user(id)': USER, [`users(first: ${PAGE_SIZE})`]: USERS_PAGE },
      users: USERS,
      imported: imported.summary,
      clients: CLIENTS,
      seconds: SECONDS,
      rounds: ROUNDS,
      switchBites,
      medianOfRounds: results,
    };
    console.log(
      [
        `authorization on and off, ${CLIENTS} clients, ${ROUNDS} x ${SECONDS} s per cell and side, median of rounds (CPU per request in µs)`,
        ...table,
        JSON.stringify(figures, null, 2),
      ].join('\n'),
    );

    // The switch bites: ON hides what the caller may not see, OFF shows it.
    expect(switchBites.plainUserReadsSomeoneElse).toEqual({ on: null, off: someoneElse });
    expect(switchBites.userAdminReadsOutsideScope).toEqual({ on: null, off: outside[0] });
    expect(switchBites.userAdminLists.on).toEqual({ totalCount: inScope.length, outsideScopeOnFirstPage: 0 });
    expect(switchBites.userAdminLists.off.totalCount).toBe(importedCount + 1);
    // The work was done.
    for (const cell of cells)
      for (const mode of Object.keys(PORTS) as Mode[]) {
        const runs = (rounds[key(cell)] as Record<Mode, Measured[]>)[mode];
        expect(runs).toHaveLength(ROUNDS);
        for (const m of runs) {
          expect(m.result.failures).toBe(0);
          expect(m.result.requests).toBeGreaterThan(0);
        }
      }
  });
});
