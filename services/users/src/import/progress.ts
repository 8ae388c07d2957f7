/**
 * Progress of a bulk import: one line redrawn in place on a terminal, a plain line every few
 * seconds elsewhere (CI logs keep every line written, so redrawing there would flood them).
 */
import type { Writable } from 'node:stream';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'rejected';
export type OutcomeCounts = Record<Outcome, number>;

export interface Summary {
  counts: OutcomeCounts;
  rows: number;
  elapsedMs: number;
  rowsPerSecond: number;
}

export interface ProgressOptions {
  /** Rows expected, when known; adds a bar and a percentage. */
  total?: number;
  /** Default stderr, which keeps stdout for the command's own output. */
  stream?: NodeJS.WriteStream | Writable;
  /** Redraw one line in place; default: whether the stream is a terminal. */
  isTTY?: boolean;
  /** Clock in milliseconds; default performance.now. */
  now?: () => number;
  /** Shortest time between two redraws on a terminal; default 200 ms. */
  intervalMs?: number;
}

export interface Progress {
  tick(outcome: Outcome): void;
  /** Writes the final line and returns the totals; later calls return the same totals. */
  done(): Summary;
  /** Live counts so far. */
  readonly counts: Readonly<OutcomeCounts>;
}

const PLAIN_INTERVAL_MS = 5000;
const BAR_WIDTH = 20;
const OUTCOMES: readonly Outcome[] = ['created', 'updated', 'unchanged', 'rejected'];
const CLEAR_TO_END = '\x1b[K';
const format = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Starts counting import rows by outcome and reporting the rate to a stream. */
export function createProgress(options: ProgressOptions = {}): Progress {
  const { total } = options;
  const stream = options.stream ?? process.stderr;
  const tty = options.isTTY ?? ('isTTY' in stream && stream.isTTY === true);
  const now = options.now ?? (() => performance.now());
  const intervalMs = tty ? (options.intervalMs ?? 200) : PLAIN_INTERVAL_MS;
  const counts: OutcomeCounts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const startedAt = now();
  let rows = 0;
  let drawnAt = startedAt;
  let summary: Summary | undefined;

  const snapshot = (at: number): Summary => {
    const elapsedMs = Math.max(0, at - startedAt);
    const rowsPerSecond = elapsedMs > 0 ? (rows * 1000) / elapsedMs : 0;
    return { counts: { ...counts }, rows, elapsedMs, rowsPerSecond };
  };

  return {
    counts,
    tick(outcome) {
      counts[outcome]++;
      rows++;
      if (summary) return;
      const at = now();
      if (at - drawnAt < intervalMs) return;
      drawnAt = at;
      const state = snapshot(at);
      if (tty) stream.write(`\r${fit(ttyLine(state, total), stream)}${CLEAR_TO_END}`);
      else stream.write(`${plainLine(state, total)}\n`);
    },
    done() {
      if (summary) return summary;
      summary = snapshot(now());
      stream.write(`${tty ? `\r${CLEAR_TO_END}` : ''}${doneLine(summary)}\n`);
      return summary;
    },
  };
}

function rate(rowsPerSecond: number): string {
  // Slow runs (a few rows per second against a remote API) would otherwise all read 0 or 1.
  return `${rowsPerSecond < 10 ? rowsPerSecond.toFixed(1) : format.format(rowsPerSecond)} rows/s`;
}

function rowCount(rows: number): string {
  return `${format.format(rows)} ${rows === 1 ? 'row' : 'rows'}`;
}

function outcomes(counts: OutcomeCounts, separator: string): string {
  return OUTCOMES.map((outcome) => `${outcome} ${format.format(counts[outcome])}`).join(separator);
}

function percent(rows: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((rows * 100) / total)) : 100;
}

function ttyLine({ rows, rowsPerSecond, counts }: Summary, total: number | undefined): string {
  if (total === undefined) return `${rowCount(rows)}  ${rate(rowsPerSecond)}  ${outcomes(counts, '  ')}`;
  const pct = percent(rows, total);
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  return `${bar} ${String(pct).padStart(3)}%  ${format.format(rows)}/${format.format(total)} rows  ${rate(rowsPerSecond)}  ${outcomes(counts, '  ')}`;
}

function plainLine({ rows, rowsPerSecond, counts }: Summary, total: number | undefined): string {
  const done =
    total === undefined
      ? rowCount(rows)
      : `${format.format(rows)}/${format.format(total)} rows (${percent(rows, total)}%)`;
  return `Processed ${done}, ${rate(rowsPerSecond)}: ${outcomes(counts, ', ')}`;
}

function doneLine({ rows, elapsedMs, rowsPerSecond, counts }: Summary): string {
  const seconds = (elapsedMs / 1000).toFixed(1);
  return `Done: ${rowCount(rows)} in ${seconds} s, ${rate(rowsPerSecond)}: ${outcomes(counts, ', ')}`;
}

/** Cuts the line to the terminal width: a wrapped line cannot be redrawn with \r. */
function fit(line: string, stream: NodeJS.WriteStream | Writable): string {
  const columns = 'columns' in stream ? stream.columns : undefined;
  return typeof columns === 'number' && columns > 1 && line.length >= columns
    ? line.slice(0, columns - 1)
    : line;
}
