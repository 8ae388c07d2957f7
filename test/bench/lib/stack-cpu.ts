/**
 * CPU time of this stack's own FerretDB and PostgreSQL (the postmaster and every backend), found
 * by the pid files infra/start.sh leaves in the data folder: unlike cpu-meter.ts, which groups
 * processes by name, it leaves out another stack's database running on the same machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../testkit';
import { processCpuMs } from './child-process';

/** The data folder infra/lib.sh uses for the test profile, unless CONCIERGE_DATA_DIR says otherwise. */
const DATA_DIR = process.env.CONCIERGE_DATA_DIR ?? join(ROOT, '.data', 'test');

function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The processes whose parent is `parent` (PostgreSQL's backends are the postmaster's children). */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU time (ms) this stack's FerretDB and PostgreSQL have used so far; NaN where not found. */
export function databaseCpuMs(): { ferretdb: number; postgres: number } {
  const ferretdb = pidIn(join(DATA_DIR, 'run', 'ferretdb.pid'));
  const postmaster = pidIn(join(DATA_DIR, 'postgres', 'postmaster.pid'));
  return {
    ferretdb: ferretdb === null ? NaN : processCpuMs(ferretdb),
    postgres:
      postmaster === null
        ? NaN
        : [postmaster, ...childrenOf(postmaster)].reduce((ms, pid) => ms + (processCpuMs(pid) || 0), 0),
  };
}
