/**
 * One more subgraph in a Node process of its own (built code, subgraph-runner.js), as a replica
 * beside a bench stack's (processes.ts): the same database and consumer group, so it serves the
 * same data. How a benchmark runs two copies of a service that differ only in a setting the
 * environment cannot change, such as the authorization switch.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BROKERS, MONGO_BASE, ROOT, SEAL_KEY, SECRET } from '../../testkit';
import { processCpuMs } from './gateway-process';

export interface SubgraphProcess {
  /** http://host:port, no path. */
  origin: string;
  /** CPU time (user and system) the process has used so far, in ms; NaN where /proc is not there. */
  cpuMs: () => number;
  stop: () => Promise<void>;
}

const PREFIXES = {
  users: 'USERS',
  'access-requests': 'ACCESS_REQUESTS',
  delegation: 'DELEGATION',
  notifications: 'NOTIFICATIONS',
} as const;

export async function startSubgraphProcess(options: {
  label: string;
  service: keyof typeof PREFIXES;
  port: number;
  /** Off: the kit's policy allows every signed-in caller everything in this process. */
  authorization: boolean;
  /** The stack's database and consumer group for this service (BenchStack.databases, .groups). */
  database: string;
  group: string;
  logDir: string;
}): Promise<SubgraphProcess> {
  mkdirSync(options.logDir, { recursive: true });
  const log = createWriteStream(join(options.logDir, `${options.label}-${options.service}.log`));
  const prefix = PREFIXES[options.service];
  const child = spawn(process.execPath, [join(ROOT, 'test/bench/lib/subgraph-runner.js'), options.service], {
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: BROKERS.join(','),
      GATEWAY_SIGNING_SECRET: SECRET,
      CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
      LOG_LEVEL: 'warn',
      [`${prefix}_PORT`]: String(options.port),
      [`${prefix}_MONGO_URI`]: `${MONGO_BASE}/${options.database}`,
      [`${prefix}_CONSUMER_GROUP`]: options.group,
      BENCH_AUTHORIZATION: options.authorization ? 'on' : 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const origin = `http://127.0.0.1:${options.port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null)
      throw new Error(`${options.label} ${options.service} exited with ${child.exitCode}; see its log`);
    try {
      if ((await fetch(`${origin}/ready`)).ok) return { origin, cpuMs: () => processCpuMs(child.pid), stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${options.label} ${options.service} did not become ready at ${origin}`);
}
