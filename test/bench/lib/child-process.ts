/**
 * A Node process a benchmark runs beside itself (a gateway or subgraph runner, built code): its
 * output in a log file, ready once `/ready` answers, its CPU time read from /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface BenchChild {
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

/**
 * Starts `script` with `args` and exactly `env` (nothing inherited but what the caller passes),
 * and waits up to a minute for `origin`/ready; `name` labels its errors.
 */
export async function startBenchChild(options: {
  name: string;
  script: string;
  args?: string[];
  env: Record<string, string | undefined>;
  logFile: string;
  origin: string;
}): Promise<BenchChild> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null)
      throw new Error(`${options.name} exited with ${child.exitCode}; see ${options.logFile}`);
    try {
      if ((await fetch(`${options.origin}/ready`)).ok) return { cpuMs: () => processCpuMs(child.pid), stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${options.name} did not become ready at ${options.origin}`);
}
