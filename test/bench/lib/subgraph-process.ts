/**
 * One more subgraph in a Node process of its own (built code, subgraph-runner.js), as a replica
 * beside a bench stack's (processes.ts): the same database and consumer group, so it serves the
 * same data. How a benchmark runs two copies of a service that differ only in a setting the
 * environment cannot change, such as the authorization switch.
 */
import { join } from 'node:path';
import { BROKERS, MONGO_BASE, ROOT, SEAL_KEY, SECRET } from '../../testkit';
import { startBenchChild } from './child-process';

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
  const prefix = PREFIXES[options.service];
  const origin = `http://127.0.0.1:${options.port}`;
  const child = await startBenchChild({
    name: `${options.label} ${options.service}`,
    script: join(ROOT, 'test/bench/lib/subgraph-runner.js'),
    args: [options.service],
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
    logFile: join(options.logDir, `${options.label}-${options.service}.log`),
    origin,
  });
  return { origin, ...child };
}
