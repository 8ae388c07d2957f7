import { policy } from '@concierge/kit';
import type { ImportJob as Stored } from './import-job.repository';
import {
  cancelImportJob,
  completeImportJob,
  sendImportBatch,
  startImportJob,
  type ImportBatchResult,
  type ImportJobDeps,
} from './import-job';
import type { ImportRecordInput } from './import-job-records';
import { listImportErrors, listImportJobs } from './import-job-query';
import { directoryDeps, type DirectoryContext } from '../directory/resolvers';
import type { ImportJobRepository } from './import-job.repository';

/** What the import-job resolvers need of a request. */
export interface ImportContext extends DirectoryContext {
  importJobs: ImportJobRepository;
}

type PageArgs = { first?: number | null; after?: string | null };

/** Every import-job operation needs `import:run` (administrators today). */
function requireImport(ctx: ImportContext): void {
  policy.require(ctx.principal, 'import:run');
}

function deps(ctx: ImportContext): ImportJobDeps {
  return { ...directoryDeps(ctx), jobs: ctx.importJobs, tree: () => ctx.tree() };
}

export const importJobQueries = {
  importJob: async (_: unknown, args: { id: string }, ctx: ImportContext) => {
    requireImport(ctx);
    return ctx.importJobs.findJob(args.id);
  },
  importJobs: async (_: unknown, args: PageArgs, ctx: ImportContext) => {
    requireImport(ctx);
    return listImportJobs(args, ctx.importJobs);
  },
};

export const importJobMutations = {
  startImportJob: async (
    _: unknown,
    args: { input?: { source?: string | null; dryRun?: boolean | null } | null },
    ctx: ImportContext,
  ) => {
    requireImport(ctx);
    const job = await startImportJob(args.input ?? {}, deps(ctx));
    ctx.logger.info({ jobId: job._id, source: job.source, dryRun: job.dryRun }, 'import job started');
    return job;
  },
  sendImportBatch: async (
    _: unknown,
    args: { jobId: string; sequence: number; records: ImportRecordInput[] },
    ctx: ImportContext,
  ): Promise<ImportBatchResult> => {
    requireImport(ctx);
    const result = await sendImportBatch(args.jobId, args.sequence, args.records, deps(ctx));
    ctx.logger.info(
      { jobId: args.jobId, sequence: args.sequence, replayed: result.replayed, counts: result.counts },
      'import batch',
    );
    return result;
  },
  completeImportJob: async (_: unknown, args: { jobId: string }, ctx: ImportContext) => {
    requireImport(ctx);
    const job = await completeImportJob(args.jobId, deps(ctx));
    return job;
  },
  cancelImportJob: async (_: unknown, args: { jobId: string }, ctx: ImportContext) => {
    requireImport(ctx);
    const job = await cancelImportJob(args.jobId, deps(ctx));
    return job;
  },
};

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const ImportJob = {
  id: (job: Stored) => job._id,
  startedAt: (job: Stored) => iso(job.startedAt),
  updatedAt: (job: Stored) => iso(job.updatedAt),
  finishedAt: (job: Stored) => iso(job.finishedAt),
  counts: (job: Stored) => job,
  pendingBatches: async (job: Stored, _: unknown, ctx: ImportContext) =>
    (await ctx.importJobs.pendingBatches(job._id)).map((b) => b.sequence),
  errors: (job: Stored, args: PageArgs, ctx: ImportContext) =>
    listImportErrors(job._id, args, ctx.importJobs),
};
