import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BROKERS, ROOT, SEAL_KEY } from '../../testkit';

/**
 * Runs `npm run import`'s built command on `file` against the users database `mongoUri`, in its
 * own process, and times it. BENCH_NODE_ARGS passes options (e.g. --cpu-prof) to that process.
 */
export function runImport(file: string, mongoUri: string): { seconds: number; summary: string } {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []),
      join(ROOT, 'services/users/dist/cli/import.js'),
      file,
    ],
    {
      encoding: 'utf8',
      timeout: 3_600_000,
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
