import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Organization } from '../data/organization.repository';
import type { UsersDeps } from '../domain/deps';
import type { OrgTree } from '../domain/organizations/org-tree';
import type { Progress, Summary } from './progress';
import { detectFormat, readRecords } from './read-records';
import { UserUpsert, type RowOutcome } from './user-upsert';

export interface ImportFileOptions {
  source: string;
  dryRun: boolean;
  /** Rows per upsert batch: one set of round trips each. */
  batchSize?: number;
  progress: Progress;
  /** Receives every rejected row as CSV (line,field,reason); null to keep only the first ones. */
  report: Writable | null;
  /** Called after each written batch (the command kicks its outbox relay here). */
  afterBatch?: () => void;
}

export interface ImportResult extends Summary {
  /** The first rejected rows, for the summary on screen. */
  firstRejected: Extract<RowOutcome, { outcome: 'rejected' }>[];
}

const SHOWN_REJECTIONS = 20;

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Counts lines quickly so the progress bar knows its end (a quoted multi-line cell makes it an estimate). */
export async function countRows(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    last = chunk[chunk.length - 1] ?? last;
  }
  if (last !== 10) lines++;
  return detectFormat(path) === 'csv' ? Math.max(lines - 1, 0) : lines;
}

/**
 * Imports a CSV or NDJSON file through the user upsert, streaming: memory holds one batch, never
 * the file. Bad rows are reported with their line and reason and never stop the good ones.
 */
export async function importFile(
  path: string,
  deps: UsersDeps,
  tree: OrgTree<Organization>,
  options: ImportFileOptions,
): Promise<ImportResult> {
  const upsert = new UserUpsert(deps, tree, { source: options.source, dryRun: options.dryRun });
  const batchSize = options.batchSize ?? 1000;
  const firstRejected: ImportResult['firstRejected'] = [];
  const write = async (text: string) => {
    if (options.report && !options.report.write(text)) await once(options.report, 'drain');
  };
  await write('line,field,reason\n');

  const record = async (outcomes: RowOutcome[]) => {
    for (const o of outcomes) {
      options.progress.tick(o.outcome);
      if (o.outcome !== 'rejected') continue;
      if (firstRejected.length < SHOWN_REJECTIONS) firstRejected.push(o);
      await write(`${o.line},${csvCell(o.field ?? '')},${csvCell(o.reason)}\n`);
    }
  };

  // Rows the reader could not parse wait with their batch, so that the report stays in line order.
  let batch: { line: number; record: Record<string, unknown> }[] = [];
  let unreadable: RowOutcome[] = [];
  const flush = async () => {
    const rows = batch;
    const failed = unreadable;
    batch = [];
    unreadable = [];
    const outcomes = rows.length > 0 ? await upsert.apply(rows) : [];
    await record([...failed, ...outcomes].sort((a, b) => a.line - b.line));
    if (rows.length > 0) options.afterBatch?.();
  };
  for await (const row of readRecords(createReadStream(path), detectFormat(path))) {
    if ('error' in row) unreadable.push({ line: row.line, outcome: 'rejected', reason: row.error });
    else batch.push(row);
    if (batch.length + unreadable.length >= batchSize) await flush();
  }
  await flush();
  return { ...options.progress.done(), firstRejected };
}
