import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Organization } from '../organizations/organization.repository';
import type { UsersDeps } from '../directory/deps';
import type { OrgTree } from '../organizations/org-tree';
import type { Progress, Summary } from './progress';
import { csvCell } from './csv-cell';
import { detectFormat, readRecords } from './read-records';
import type { CreationSender } from '@concierge/kit';
import type { KnownUsers } from './known-users';
import { UserUpsert, type ManagerLinks, type RowOutcome } from './user-upsert';

export interface ImportFileOptions {
  source: string;
  dryRun: boolean;
  /** Rows per upsert batch: one set of round trips each. */
  batchSize?: number;
  progress: Progress;
  /** Receives every rejected row as CSV (line,field,reason); null to keep only the first ones. */
  report: Writable | null;
  /** Called after each written batch with its outcomes (the command kicks its outbox relays here). */
  afterBatch?: (outcomes: RowOutcome[]) => void;
  /** The directory's external keys, read once: batches of new users then skip their lookups. */
  known?: KnownUsers;
  /** Sends new users' events right after each batch lands (see UpsertOptions). */
  sender?: CreationSender;
}

export interface ImportResult extends Summary {
  /** The first rejected rows, for the summary on screen. */
  firstRejected: Extract<RowOutcome, { outcome: 'rejected' }>[];
  /** Users imported before their manager: linked at the end, or still waiting for them. */
  managers: ManagerLinks;
}

const SHOWN_REJECTIONS = 20;

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
  const upsert = new UserUpsert(deps, tree, {
    source: options.source,
    dryRun: options.dryRun,
    known: options.known,
    sender: options.sender,
  });
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
  // Batch k+1 is read and planned while batch k is written: the process and the database then work
  // side by side instead of in turns. Commits stay one at a time and in order.
  let batch: { line: number; record: Record<string, unknown> }[] = [];
  let unreadable: RowOutcome[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = batch;
    const failed = unreadable;
    batch = [];
    unreadable = [];
    const plan = rows.length > 0 ? await upsert.planAfter(rows, writing) : null;
    if (!plan) await writing;
    writing = (async () => {
      const outcomes = plan ? await upsert.commit(plan) : [];
      await record([...failed, ...outcomes].sort((a, b) => a.line - b.line));
      if (rows.length > 0) options.afterBatch?.(outcomes);
    })();
    // Awaited by the next flush; this keeps a failure from surfacing as unhandled before then.
    writing.catch(() => undefined);
  };
  for await (const row of readRecords(createReadStream(path), detectFormat(path))) {
    if ('error' in row) unreadable.push({ line: row.line, outcome: 'rejected', reason: row.error });
    else batch.push(row);
    if (batch.length + unreadable.length >= batchSize) await flush();
  }
  await flush();
  await writing;
  // Rows that named a manager listed after them (any batch) get that manager now.
  const managers = await upsert.finish();
  return { ...options.progress.done(), firstRejected, managers };
}
