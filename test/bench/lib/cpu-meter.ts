/**
 * Where the machine's CPU went during a phase, from /proc (Linux): this process (the benchmark and
 * whatever it runs in-process), FerretDB, PostgreSQL (every backend), Kafka (the JVM), and the
 * rest of the machine (other jobs, the kernel), with its busiest processes. Read only; nothing is
 * signalled. A process that ends during the phase takes its last ticks with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux). */
const TICKS_PER_SECOND = 100;
const GROUPS: Record<string, string> = { ferretdb: 'ferretdb', postgres: 'postgres', java: 'kafka' };

export interface CpuSnapshot {
  wallMs: number;
  /** Busy and total ticks of all CPUs together (/proc/stat). */
  busy: number;
  total: number;
  /** Every process: its name, group (this process is `thisProcess`) and ticks so far. */
  processes: Map<string, { comm: string; group: string | null; ticks: number }>;
  /** Ticks the kernel spent on interrupts, and that the hypervisor took (steal). */
  irq: number;
  steal: number;
}

function processTicks(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null; // ended meanwhile
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const processes = new Map<string, { comm: string; group: string | null; ticks: number }>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const ticks = processTicks(pid);
    if (ticks === null) continue;
    const group = pid === String(process.pid) ? 'thisProcess' : (GROUPS[comm] ?? null);
    processes.set(pid, { comm, group, ticks });
  }
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return {
    wallMs: performance.now(),
    busy: total - idle,
    total,
    processes,
    irq: (cpu[5] ?? 0) + (cpu[6] ?? 0),
    steal: cpu[7] ?? 0,
  };
}

/**
 * CPU used since `before`: cores busy on average by group and on the whole machine, and the CPU
 * milliseconds per unit of work (`units`, e.g. requests) by group.
 */
export function cpuSince(before: CpuSnapshot, units: number) {
  const after = cpuSnapshot();
  const wallS = (after.wallMs - before.wallMs) / 1000;
  const cores = (ticks: number) => +(ticks / TICKS_PER_SECOND / wallS).toFixed(2);
  const perUnit = (ticks: number) => +((ticks / TICKS_PER_SECOND / units) * 1000).toFixed(1);
  const used: Record<string, number> = { thisProcess: 0, ferretdb: 0, postgres: 0, kafka: 0 };
  const others: { pid: string; comm: string; ticks: number }[] = [];
  for (const [pid, p] of after.processes) {
    // A process that started during the phase counts whole.
    const ticks = p.ticks - (before.processes.get(pid)?.ticks ?? 0);
    if (ticks <= 0) continue;
    if (p.group) used[p.group] = (used[p.group] ?? 0) + ticks;
    else others.push({ pid, comm: p.comm, ticks });
  }
  const machine = after.busy - before.busy;
  const known = Object.values(used).reduce((a, b) => a + b, 0);
  const cpus = (after.total - before.total) / TICKS_PER_SECOND / wallS;
  const groups = Object.keys(used);
  return {
    seconds: +wallS.toFixed(1),
    cpus: Math.round(cpus),
    coresBusy: {
      ...Object.fromEntries(groups.map((g) => [g, cores(used[g] as number)])),
      restOfMachine: cores(Math.max(0, machine - known)),
      ofWhichInterrupts: cores(after.irq - before.irq),
      ofWhichSteal: cores(after.steal - before.steal),
      // The busiest other processes (someone else's test run shows here).
      busiestOtherProcesses: others
        .sort((a, b) => b.ticks - a.ticks)
        .slice(0, 3)
        .map((p) => `${p.comm}(${p.pid}) ${cores(p.ticks)}`),
      machine: cores(machine),
    },
    cpuMsPerUnit: {
      ...Object.fromEntries(groups.map((g) => [g, perUnit(used[g] as number)])),
      machine: perUnit(machine),
    },
  };
}

/** The event-loop delay of this process over a phase (ms): p50, p99, max. */
export function eventLoopDelay() {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return () => {
    histogram.disable();
    const ms = (ns: number) => +(ns / 1e6).toFixed(1);
    return {
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    };
  };
}
