import { BadInputError } from '@concierge/kit';
import type { ImportJob, ImportJobRepository, ImportRowError } from './import-job.repository';
import { PAGE_ERRORS } from '../shared/errors';

const MAX_PAGE = 200;

function pageSize(first: number | null | undefined): number {
  const size = first ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE}`, PAGE_ERRORS.BAD_SIZE);
  }
  return size;
}

function encode(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decode(cursor: string): unknown[] | null {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(values) ? values : null;
  } catch {
    return null;
  }
}

function badCursor(query: string): BadInputError {
  return new BadInputError(
    'after',
    `after must be an endCursor returned by ${query}`,
    PAGE_ERRORS.BAD_CURSOR,
  );
}

/** An opaque cursor of the job list: start time and id. */
export function encodeJobCursor(job: Pick<ImportJob, 'startedAt' | '_id'>): string {
  return encode([job.startedAt.toISOString(), job._id]);
}

/** An opaque cursor of a job's errors: sequence and index. */
export function encodeErrorCursor(row: Pick<ImportRowError, 'sequence' | 'index'>): string {
  return encode([row.sequence, row.index]);
}

/** Jobs newest first, a page at a time; reads one more than asked to know whether another follows. */
export async function listImportJobs(
  args: { first?: number | null; after?: string | null },
  jobs: ImportJobRepository,
) {
  const limit = pageSize(args.first);
  let after: { startedAt: Date; id: string } | undefined;
  if (args.after) {
    const [time, id] = decode(args.after) ?? [];
    const startedAt = typeof time === 'string' ? new Date(time) : null;
    if (!startedAt || Number.isNaN(startedAt.getTime()) || typeof id !== 'string')
      throw badCursor('importJobs');
    after = { startedAt, id };
  }
  const rows = await jobs.listJobs({ after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    edges: page.map((node) => ({ cursor: encodeJobCursor(node), node })),
    pageInfo: { hasNextPage: rows.length > limit, endCursor: last ? encodeJobCursor(last) : null },
  };
}

/** A job's rejected rows in (sequence, index) order, a page at a time. */
export async function listImportErrors(
  jobId: string,
  args: { first?: number | null; after?: string | null },
  jobs: ImportJobRepository,
) {
  const limit = pageSize(args.first);
  let after: { sequence: number; index: number } | undefined;
  if (args.after) {
    const [sequence, index] = decode(args.after) ?? [];
    if (!Number.isInteger(sequence) || !Number.isInteger(index)) throw badCursor('ImportJob.errors');
    after = { sequence: sequence as number, index: index as number };
  }
  const rows = await jobs.listErrors(jobId, { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    edges: page.map((node) => ({ cursor: encodeErrorCursor(node), node })),
    pageInfo: { hasNextPage: rows.length > limit, endCursor: last ? encodeErrorCursor(last) : null },
  };
}
