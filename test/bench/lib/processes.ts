/**
 * The stack as `npm start` runs it: each subgraph and the gateway in its own Node process (built
 * code), on ports and databases of its own, so a benchmark measures them as they would serve and
 * its load generator does not share their event loops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BROKERS, MONGO_BASE, ROOT, SEAL_KEY, SECRET, startAtEnd } from '../../testkit';

export interface BenchStack {
  gatewayUrl: string;
  usersUrl: string;
  /** Each service's database name and consumer group, by service. */
  databases: Record<string, string>;
  groups: Record<string, string>;
  stop: () => Promise<void>;
}

const SERVICES = [
  { name: 'users', prefix: 'USERS', entry: 'services/users/dist/index.js' },
  { name: 'access-requests', prefix: 'ACCESS_REQUESTS', entry: 'services/access-requests/dist/index.js' },
  { name: 'delegation', prefix: 'DELEGATION', entry: 'services/delegation/dist/index.js' },
  { name: 'notifications', prefix: 'NOTIFICATIONS', entry: 'services/notifications/dist/index.js' },
] as const;

async function waitReady(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see its log`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

/** Starts the stack with ports from `basePort` (gateway) up, logs in `logDir`. */
export async function startBenchStack(label: string, basePort: number, logDir: string): Promise<BenchStack> {
  mkdirSync(logDir, { recursive: true });
  const children: ChildProcess[] = [];
  const databases: Record<string, string> = {};
  const groups: Record<string, string> = {};
  const common = {
    PATH: process.env.PATH,
    KAFKA_BROKERS: BROKERS.join(','),
    GATEWAY_SIGNING_SECRET: SECRET,
    CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
    LOG_LEVEL: 'warn',
  };
  const urls: Record<string, string> = {};
  // A run of its own: an earlier run stopped half-way leaves its databases behind.
  const run = Date.now().toString(36);
  for (const [i, service] of SERVICES.entries()) {
    const port = basePort + 1 + i;
    databases[service.name] = `bench-${label}-${run}-${service.name}`;
    groups[service.name] = `bench-${label}-${run}-${service.name}`;
    urls[service.name] = `http://127.0.0.1:${port}`;
    await startAtEnd(groups[service.name] as string);
    const log = createWriteStream(join(logDir, `${label}-${service.name}.log`));
    const child = spawn(process.execPath, [join(ROOT, service.entry)], {
      env: {
        ...common,
        [`${service.prefix}_PORT`]: String(port),
        [`${service.prefix}_MONGO_URI`]: `${MONGO_BASE}/${databases[service.name]}`,
        [`${service.prefix}_CONSUMER_GROUP`]: groups[service.name],
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children.push(child);
  }
  for (const [i, service] of SERVICES.entries()) {
    await waitReady(`${urls[service.name]}/ready`, children[i] as ChildProcess, service.name);
  }
  const gatewayLog = createWriteStream(join(logDir, `${label}-gateway.log`));
  const gateway = spawn(process.execPath, [join(ROOT, 'gateway/dist/index.js')], {
    env: {
      ...common,
      GATEWAY_PORT: String(basePort),
      USERS_URL: `${urls.users}/graphql`,
      ACCESS_REQUESTS_URL: `${urls['access-requests']}/graphql`,
      DELEGATION_URL: `${urls.delegation}/graphql`,
      NOTIFICATIONS_URL: `${urls.notifications}/graphql`,
      USERS_JWKS_URL: `${urls.users}/.well-known/jwks.json`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gateway.stdout?.pipe(gatewayLog);
  gateway.stderr?.pipe(gatewayLog);
  children.push(gateway);
  await waitReady(`http://127.0.0.1:${basePort}/ready`, gateway, 'gateway');
  return {
    gatewayUrl: `http://127.0.0.1:${basePort}/graphql`,
    usersUrl: `${urls.users}/graphql`,
    databases,
    groups,
    stop: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
