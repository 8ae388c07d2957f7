import { policy } from '@concierge/kit';
import { importJobModels } from '../data/import-job.model';
import { ImportJobRepository, type ImportJob as Stored } from '../data/import-job.repository';
import {
  cancelImportJob,
  completeImportJob,
  sendImportBatch,
  startImportJob,
  type ImportBatchResult,
  type ImportJobDeps,
} from '../import/import-job';
import type { ImportRecordInput } from '../import/import-job-records';
import { listImportErrors, listImportJobs } from '../import/import-job-query';
import { useCaseDeps, type UsersContext } from '../context';

type PageArgs = { first?: number | null; after?: string | null };

function repository(ctx: UsersContext): ImportJobRepository {
  return new ImportJobRepository(importJobModels(ctx.runtime.db));
}

/** Every import-job operation needs `import:run` (administrators today). */
function requireImport(ctx: UsersContext): void {
  policy.require(ctx.principal, 'import:run');
}

function deps(ctx: UsersContext): ImportJobDeps {
  return { ...useCaseDeps(ctx), jobs: repository(ctx), tree: () => ctx.tree() };
}

export const importJobQueries = {
  importJob: async (_: unknown, args: { id: string }, ctx: UsersContext) => {
    requireImport(ctx);
    return repository(ctx).findJob(args.id);
  },
  importJobs: async (_: unknown, args: PageArgs, ctx: UsersContext) => {
    requireImport(ctx);
    return listImportJobs(args, repository(ctx));
  },
};

export const importJobMutations = {
  startImportJob: async (
    _: unknown,
    args: { input?: { source?: string | null; dryRun?: boolean | null } | null },
    ctx: UsersContext,
  ) => {
    requireImport(ctx);
    const job = await startImportJob(args.input ?? {}, deps(ctx));
    ctx.runtime.relay.kick();
    ctx.logger.info({ jobId: job._id, source: job.source, dryRun: job.dryRun }, 'import job started');
    return job;
  },
  sendImportBatch: async (
    _: unknown,
    args: { jobId: string; sequence: number; records: ImportRecordInput[] },
    ctx: UsersContext,
  ): Promise<ImportBatchResult> => {
    requireImport(ctx);
    const result = await sendImportBatch(args.jobId, args.sequence, args.records, deps(ctx));
    if (!result.replayed) ctx.runtime.relay.kick();
    ctx.logger.info(
      { jobId: args.jobId, sequence: args.sequence, replayed: result.replayed, counts: result.counts },
      'import batch',
    );
    return result;
  },
  completeImportJob: async (_: unknown, args: { jobId: string }, ctx: UsersContext) => {
    requireImport(ctx);
    const job = await completeImportJob(args.jobId, deps(ctx));
    ctx.runtime.relay.kick();
    return job;
  },
  cancelImportJob: async (_: unknown, args: { jobId: string }, ctx: UsersContext) => {
    requireImport(ctx);
    const job = await cancelImportJob(args.jobId, deps(ctx));
    ctx.runtime.relay.kick();
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
  pendingBatches: async (job: Stored, _: unknown, ctx: UsersContext) =>
    (await repository(ctx).pendingBatches(job._id)).map((b) => b.sequence),
  errors: (job: Stored, args: PageArgs, ctx: UsersContext) =>
    listImportErrors(job._id, args, repository(ctx)),
};
