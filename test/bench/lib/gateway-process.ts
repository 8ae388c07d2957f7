/**
 * A gateway of its own in a Node process (built code, gateway-runner.js), beside the subgraphs of
 * a bench stack (processes.ts): how a benchmark runs two gateways that differ only in settings the
 * environment cannot change, such as the hardening and authorization switches.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKERS, ROOT, SECRET } from '../../testkit';

export interface GatewayProcess {
  url: string;
  /** CPU time (user and system) the process has used so far, in ms; NaN where /proc is not there. */
  cpuMs: () => number;
  stop: () => Promise<void>;
}

let ticksPerSecond: number | undefined;

/** CPU time (user and system) process `pid` has used, in ms, from /proc; NaN where there is none. */
export function processCpuMs(pid: number | undefined): number {
  try {
    ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return NaN;
  }
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
  mkdirSync(options.logDir, { recursive: true });
  const log = createWriteStream(join(options.logDir, `${options.label}-gateway.log`));
  const { subgraphs } = options;
  const child = spawn(process.execPath, [join(ROOT, 'test/bench/lib/gateway-runner.js')], {
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const base = `http://127.0.0.1:${options.port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${options.label} gateway exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/ready`)).ok)
        return { url: `${base}/graphql`, cpuMs: () => processCpuMs(child.pid), stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${options.label} gateway did not become ready at ${base}`);
}
