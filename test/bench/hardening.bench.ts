/**
 * Benchmark: what the gateway's hardening costs on the hot read `user(id)`. The hardening
 * (GatewayConfig.hardening) is the operation-limits plugin with the sign-in throttle, the parser's
 * token limit and the per-request session check (authenticate.ts `resolve`, session-check.ts:
 * whether the token's sign-in still stands, asked of the users service and cached 30 s).
 * One run:
 *   1. starts the subgraphs once (one process each, as `npm start` runs them) and two gateways in
 *      processes of their own on those same subgraphs and data, identical but for the switch:
 *      hardening ON (production) and OFF (gateway-runner.js; the environment cannot turn it off);
 *   2. imports BENCH_USERS users (default 300) and signs an administrator in for real:
 *      bootstrap-admin's set-password token, then setPassword and login through the graph, so the
 *      access token has a sign-in (sid) for the session check to look up;
 *   3. checks that the switch works (a document over the token limit: ON refuses it, OFF answers);
 *   4. warms both up (BENCH_WARM_UP_SECONDS each, default 8), then drives each with BENCH_CLIENTS
 *      clients (default 8) for BENCH_SECONDS (default 4) per round, BENCH_ROUNDS rounds each
 *      (default 10), interleaved ON, OFF, OFF, ON, ... so drift on a shared machine falls on both;
 *   5. logs the administrator out: ON refuses the token from then on (the session check is live),
 *      OFF still takes it.
 * Prints per-round and median-of-rounds req/s, p50 and p99 for ON and OFF, the gateway process's
 * CPU time per request (from /proc), and the ON/OFF ratios of the medians (the target: ON's median
 * latency at most 5% above OFF's), with the median of the per-round p50 ratios. Asserts only that
 * the work was done. `npm run bench -- hardening` runs it (about 2 minutes with the defaults).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { createOrg, dropDatabases, eventually, graphql, MONGO_BASE, ROOT } from '../testkit';
import { writeUsersCsv } from './generate-users';
import { startGatewayProcess, type GatewayProcess } from './lib/gateway-process';
import { runImport } from './lib/import-command';
import { drive, median, ratio, round1, type LoadResult } from './lib/load';
import { startBenchStack, type BenchStack } from './lib/processes';

const USERS = Number(process.env.BENCH_USERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
/** Per gateway, in two slices each: the gateway's CPU per request keeps falling for a while. */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 8);
/** The stack's gateway and subgraphs (processes.ts: users, access-requests, delegation, notifications). */
const BASE_PORT = 4600;
const PORT_ON = 4610;
const PORT_OFF = 4611;

const QUERY = 'query($id: ID!) { user(id: $id) { id email status organization { id } } }';
const SET_PASSWORD =
  'mutation($token: String!, $password: String!) { setPassword(token: $token, password: $password) }';
const LOGIN =
  'mutation($login: String!, $password: String!) { login(login: $login, password: $password) { accessToken refreshToken } }';
const LOGOUT = 'mutation($token: String!) { logout(refreshToken: $token) }';
const ADMIN_EMAIL = 'bench-hardening-admin@example.org';
const PASSWORD = 'Quartz lantern orbit 9182';

/** A line on stderr as the run goes (Jest shows console.log only at the end). */
const progress = (line: string) => process.stderr.write(`[hardening bench] ${line}\n`);

/** bootstrap-admin's one-time set-password token for a new administrator. */
function bootstrapAdmin(mongoUri: string): string {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'services/users/dist/cli/bootstrap-admin.js'), '--email', ADMIN_EMAIL],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        USERS_MONGO_URI: mongoUri,
        LOG_LEVEL: 'error',
      },
    },
  );
  if (run.status !== 0) throw new Error(`bootstrap-admin: ${run.stderr}`);
  return run.stdout.trim();
}

/** Sets the administrator's password and signs in through the graph: a session with a sign-in. */
async function signIn(gatewayUrl: string, setPasswordToken: string) {
  const set = await graphql<{ setPassword: boolean }>(gatewayUrl, SET_PASSWORD, {
    token: setPasswordToken,
    password: PASSWORD,
  });
  if (set.data?.setPassword !== true) throw new Error(`setPassword failed: ${JSON.stringify(set.errors)}`);
  const login = await graphql<{ login: { accessToken: string; refreshToken: string } }>(gatewayUrl, LOGIN, {
    login: ADMIN_EMAIL,
    password: PASSWORD,
  });
  if (!login.data) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
  return login.data.login;
}

const row = (...cells: (string | number)[]) => `  ${cells.map((c) => String(c).padEnd(10)).join(' ')}`;
const brief = (r: LoadResult) => ({
  reqPerS: r.perSecond,
  p50: r.p50,
  p99: r.p99,
  failures: r.failures,
  ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
});

describe('hardening benchmark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-hardening-bench-'));
  const logs = join(ROOT, '.data', 'test', 'logs');
  const dropped: string[] = [];
  let stack: BenchStack | undefined;
  const gateways: GatewayProcess[] = [];

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await stack?.stop();
    await dropDatabases(dropped);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`prints user(id) through the gateway with the hardening on and off, ${ROUNDS} rounds each`, async () => {
    progress('the stack');
    stack = await startBenchStack('hardening', BASE_PORT, logs);
    dropped.push(...Object.values(stack.databases));
    const usersUri = `${MONGO_BASE}/${stack.databases.users}`;

    progress('an administrator signs in; the users');
    const session = await signIn(stack.gatewayUrl, bootstrapAdmin(usersUri));
    const bearer = { authorization: `Bearer ${session.accessToken}` };
    await createOrg(stack.gatewayUrl, { code: 'HQ', name: 'Headquarters' }, bearer);
    await writeUsersCsv(join(dir, 'users.csv'), USERS, { organizations: ['HQ'] });
    const imported = runImport(join(dir, 'users.csv'), usersUri);
    const mongo = await new MongoClient(MONGO_BASE).connect();
    let ids: string[];
    try {
      const users = mongo.db(stack.databases.users).collection<{ _id: string }>('users');
      ids = (await users.find({}, { projection: { _id: 1 } }).toArray()).map((u) => u._id);
    } finally {
      await mongo.close();
    }
    expect(ids.length).toBeGreaterThanOrEqual(USERS);

    progress('two gateways on the same subgraphs: hardening on and off');
    const origin = (offset: number) => `http://127.0.0.1:${BASE_PORT + offset}`;
    const subgraphs = {
      users: origin(1),
      accessRequests: origin(2),
      delegation: origin(3),
      notifications: origin(4),
    };
    const modes = { on: PORT_ON, off: PORT_OFF } as const;
    type Mode = keyof typeof modes;
    const url = {} as Record<Mode, string>;
    const running = {} as Record<Mode, GatewayProcess>;
    for (const mode of Object.keys(modes) as Mode[]) {
      const gateway = await startGatewayProcess({
        label: `hardening-${mode}`,
        port: modes[mode],
        hardening: mode === 'on',
        subgraphs,
        logDir: logs,
      });
      gateways.push(gateway);
      url[mode] = gateway.url;
      running[mode] = gateway;
    }

    // The switch works: only the hardened gateway refuses a document over the token limit (2,000).
    // Distinct aliases: the same field 700 times over would exhaust graphql-js's merge-check budget.
    const tokens = `{ ${Array.from({ length: 700 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const overLimit = {
      on: await graphql(url.on, tokens, {}, bearer),
      off: await graphql(url.off, tokens, {}, bearer),
    };
    expect(overLimit.on.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(overLimit.off.errors).toBeUndefined();

    const headers = { 'content-type': 'application/json', ...bearer };
    const load = (mode: Mode, seconds: number) =>
      drive({
        clients: CLIENTS,
        seconds,
        // The same ids in the same order on both sides.
        next: (i) => ({
          url: url[mode],
          headers,
          body: JSON.stringify({ query: QUERY, variables: { id: ids[(i * 7919) % ids.length] } }),
        }),
        accept: (status, body) =>
          status === 200 && body.includes('"user":{"id"') && !body.includes('"errors"'),
      });

    progress('warm-up');
    // Connections, the JIT, the query plan, the JWKS and (ON) the session answer.
    for (const mode of ['on', 'off', 'on', 'off'] as Mode[]) await load(mode, WARM_UP_SECONDS / 2);

    // Besides latency, the CPU time the driven gateway spent: what the checks cost, less blurred
    // by whatever else the shared machine runs meanwhile.
    const rounds: Record<Mode, LoadResult[]> = { on: [], off: [] };
    const cpuMs: Record<Mode, number> = { on: 0, off: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      // ON, OFF, then OFF, ON: neither side always goes first.
      const order: Mode[] = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) {
        const cpuBefore = running[mode].cpuMs();
        const result = await load(mode, SECONDS);
        const cpu = running[mode].cpuMs() - cpuBefore;
        cpuMs[mode] += cpu;
        rounds[mode].push(result);
        const perRequest = round1((cpu * 1000) / Math.max(1, result.requests));
        progress(
          `round ${r + 1}/${ROUNDS} ${mode}: ${JSON.stringify({ ...brief(result), gatewayCpuUsPerRequest: perRequest })}`,
        );
      }
    }

    // The session check is live behind ON: once the sign-in ends, ON refuses the token, OFF takes it.
    const ended = await graphql<{ logout: boolean }>(stack.gatewayUrl, LOGOUT, {
      token: session.refreshToken,
    });
    expect(ended.data?.logout).toBe(true);
    const loggedOutAt = performance.now();
    const refused = await eventually(async () => {
      const res = await graphql(url.on, QUERY, { id: ids[0] }, bearer);
      return res.status === 401 ? res : undefined;
    }, 45_000);
    const refusedAfterMs = Math.round(performance.now() - loggedOutAt);
    const stillTaken = await graphql<{ user: { id: string } | null }>(url.off, QUERY, { id: ids[0] }, bearer);

    const summary = (mode: Mode) => ({
      reqPerS: round1(median(rounds[mode].map((x) => x.perSecond))),
      p50: round1(median(rounds[mode].map((x) => x.p50))),
      p99: round1(median(rounds[mode].map((x) => x.p99))),
      requests: rounds[mode].reduce((n, x) => n + x.requests, 0),
      failures: rounds[mode].reduce((n, x) => n + x.failures, 0),
      gatewayCpuUsPerRequest: round1(
        (cpuMs[mode] * 1000) /
          Math.max(
            1,
            rounds[mode].reduce((n, x) => n + x.requests, 0),
          ),
      ),
    });
    const on = summary('on');
    const off = summary('off');
    const figures = {
      query: QUERY,
      users: USERS,
      imported: imported.summary,
      clients: CLIENTS,
      seconds: SECONDS,
      rounds: ROUNDS,
      medianOfRounds: { on, off },
      onToOff: {
        p50: ratio(on.p50, off.p50),
        p99: ratio(on.p99, off.p99),
        reqPerS: ratio(on.reqPerS, off.reqPerS),
        gatewayCpuPerRequest: ratio(on.gatewayCpuUsPerRequest, off.gatewayCpuUsPerRequest),
        // Each round's ON p50 over the same round's OFF p50, the median of those: drift cancels.
        p50PerRoundMedian: ratio(
          median(rounds.on.map((x, r) => x.p50 / (rounds.off[r] as LoadResult).p50)),
          1,
        ),
      },
      p50OverheadPercent: round1((on.p50 / off.p50 - 1) * 100),
      withinTarget: on.p50 <= off.p50 * 1.05,
      perRound: {
        on: rounds.on.map(brief),
        off: rounds.off.map(brief),
      },
      afterLogout: {
        onStatus: refused.status,
        onRefusedAfterMs: refusedAfterMs,
        offStatus: stillTaken.status,
      },
    };
    console.log(
      [
        `user(id) through the gateway, ${CLIENTS} clients, ${ROUNDS} x ${SECONDS} s each, median of rounds`,
        row('hardening', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU µs/req'),
        row('on', on.reqPerS, on.p50, on.p99, on.gatewayCpuUsPerRequest),
        row('off', off.reqPerS, off.p50, off.p99, off.gatewayCpuUsPerRequest),
        row(
          'on/off',
          ...(['reqPerS', 'p50', 'p99', 'gatewayCpuPerRequest'] as const).map((k) => figures.onToOff[k]),
        ),
        JSON.stringify(figures, null, 2),
      ].join('\n'),
    );

    for (const mode of ['on', 'off'] as Mode[]) {
      expect(rounds[mode]).toHaveLength(ROUNDS);
      for (const result of rounds[mode]) {
        expect(result.failures).toBe(0);
        expect(result.requests).toBeGreaterThan(0);
      }
    }
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stillTaken.data?.user?.id).toBe(ids[0]);
  });
});
