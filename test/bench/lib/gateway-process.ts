/**
 * A gateway of its own in a Node process (built code, gateway-runner.js), beside the subgraphs of
 * a bench stack (processes.ts): how a benchmark runs two gateways that differ only in settings the
 * environment cannot change, such as the hardening and authorization switches.
 */
import { join } from 'node:path';
import { BROKERS, ROOT, SECRET } from '../../testkit';
import { startBenchChild } from './child-process';

export interface GatewayProcess {
  url: string;
  /** CPU time (user and system) the process has used so far, in ms; NaN where /proc is not there. */
  cpuMs: () => number;
  stop: () => Promise<void>;
}

export async function startGatewayProcess(options: {
  label: string;
  port: number;
  hardening: boolean;
  /** Off: the gateway resolves no admin grants (authorization.bench.ts); on unless said. */
  authorization?: boolean;
  /** The users subgraph's URL (http://host:port, no path), and the other subgraphs' likewise. */
  subgraphs: { users: string; accessRequests: string; delegation: string; notifications: string };
  logDir: string;
}): Promise<GatewayProcess> {
  const { subgraphs } = options;
  const origin = `http://127.0.0.1:${options.port}`;
  const child = await startBenchChild({
    name: `${options.label} gateway`,
    script: join(ROOT, 'test/bench/lib/gateway-runner.js'),
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: BROKERS.join(','),
      GATEWAY_SIGNING_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(options.port),
      USERS_URL: `${subgraphs.users}/graphql`,
      ACCESS_REQUESTS_URL: `${subgraphs.accessRequests}/graphql`,
      DELEGATION_URL: `${subgraphs.delegation}/graphql`,
      NOTIFICATIONS_URL: `${subgraphs.notifications}/graphql`,
      USERS_JWKS_URL: `${subgraphs.users}/.well-known/jwks.json`,
      BENCH_HARDENING: options.hardening ? 'on' : 'off',
      BENCH_AUTHORIZATION: options.authorization === false ? 'off' : 'on',
    },
    logFile: join(options.logDir, `${options.label}-gateway.log`),
    origin,
  });
  return { url: `${origin}/graphql`, ...child };
}
