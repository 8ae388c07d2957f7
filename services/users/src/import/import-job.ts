import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError, NotFoundError } from '@concierge/kit';
import type { CredentialEffects } from '../directory/credential-effects';
import {
  batchId,
  type ImportBatch,
  type ImportCounts,
  type ImportJob,
  type ImportJobRepository,
  type ImportRowError,
} from './import-job.repository';
import type { Organization } from '../organizations/organization.repository';
import { type UsersDeps } from '../directory/deps';
import { usersEvent } from '../shared/events';
import type { OrgTree } from '../organizations/org-tree';
import { DEFAULT_SOURCE, SOURCE } from '../directory/profile';
import {
  batchDigest,
  MAX_BATCH_RECORDS,
  rowErrors,
  tally,
  toImportRecord,
  type ImportRecordInput,
} from './import-job-records';
import { UserUpsert, type RowOutcome } from './user-upsert';
import { IMPORT_JOB_ERRORS } from './import.errors';

/** How long batch claims live and how long a request waits for a batch another request applies. */
export interface ImportJobTiming {
  /**
   * A claim this old that is still not applied was interrupted (its process stopped); a retry of
   * the batch takes it over. Far above the seconds a batch of 1000 records takes.
   */
  leaseMs: number;
  /** How long a retry waits for the first request of its batch, and completion for batches in flight. */
  waitMs: number;
  pollMs: number;
}

export const IMPORT_JOB_TIMING: ImportJobTiming = { leaseMs: 5 * 60_000, waitMs: 30_000, pollMs: 200 };

export interface ImportJobDeps extends UsersDeps {
  /** With credential effects, users created ACTIVE get their set-password link, as from the import command. */
  credentialEffects?: CredentialEffects;
  jobs: ImportJobRepository;
  /** The organisation tree, read once when first needed. */
  tree: () => Promise<OrgTree<Organization>>;
  timing?: Partial<ImportJobTiming>;
}

/** What sendImportBatch answers, the first time and to every retry of the same batch. */
export interface ImportBatchResult {
  job: ImportJob;
  sequence: number;
  /** The batch had been received before; this is its first outcome again, nothing was applied now. */
  replayed: boolean;
  counts: ImportCounts;
  errors: ImportRowError[];
}

const TARGET_TYPE = 'import-job';

function timingOf(deps: ImportJobDeps): ImportJobTiming {
  return { ...IMPORT_JOB_TIMING, ...deps.timing };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isStale(batch: ImportBatch, timing: ImportJobTiming): boolean {
  return Date.now() - batch.claimedAt.getTime() >= timing.leaseMs;
}

function countsOf(batch: ImportCounts): ImportCounts {
  const { received, created, updated, unchanged, rejected } = batch;
  return { received, created, updated, unchanged, rejected };
}

/** audit.recorded for the job itself: the rows' user events are audited on their own. */
function auditEvent(
  deps: ImportJobDeps,
  jobId: string,
  action: 'started' | 'completed' | 'cancelled',
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
) {
  return usersEvent(deps, 'audit.recorded', jobId, {
    action: `${TARGET_TYPE}.${action}`,
    targetType: TARGET_TYPE,
    targetId: jobId,
    before,
    after,
  });
}

async function loadJob(jobId: string, deps: ImportJobDeps): Promise<ImportJob> {
  const job = await deps.jobs.findJob(jobId);
  if (!job) throw new NotFoundError('ImportJob', jobId.slice(0, 100));
  return job;
}

function requireRunning(job: ImportJob, refusal: string): void {
  if (job.status !== 'RUNNING') {
    throw new ConflictError(`Import job ${job._id} is ${job.status}: ${refusal}`, {
      field: 'jobId',
      reason: IMPORT_JOB_ERRORS.NOT_RUNNING,
    });
  }
}

const NO_MORE_BATCHES = 'it takes no more batches; start a new job to import more records';

/** Starts a job that takes batches of records until it is completed or cancelled. */
export async function startImportJob(
  input: { source?: string | null; dryRun?: boolean | null },
  deps: ImportJobDeps,
): Promise<ImportJob> {
  const source = (input.source ?? DEFAULT_SOURCE).trim().toLowerCase();
  if (!SOURCE.test(source)) {
    throw new BadInputError(
      'input.source',
      'source must be a short name: 1 to 64 letters, digits, . _ -',
      IMPORT_JOB_ERRORS.BAD_SOURCE,
    );
  }
  const now = new Date();
  const job: ImportJob = {
    _id: randomUUID(),
    status: 'RUNNING',
    source,
    dryRun: input.dryRun ?? false,
    startedBy: deps.actor,
    startedAt: now,
    updatedAt: now,
    finishedAt: null,
    finishedBy: null,
    received: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    batchesReceived: 0,
  };
  const event = auditEvent(deps, job._id, 'started', null, {
    status: job.status,
    source,
    dryRun: job.dryRun,
  });
  return deps.jobs.insertJob(job, [event]);
}

/**
 * Applies one batch of a RUNNING job, once per (job, sequence): the first request claims the batch
 * with a unique insert and applies it; a retry gets that first outcome back (waiting while the first
 * request is still at work), and other records under a used sequence are a CONFLICT. A claim left
 * unapplied for longer than the lease (its process stopped) is taken over and the batch applied
 * again, which the idempotent upsert makes safe.
 */
export async function sendImportBatch(
  jobId: string,
  sequence: number,
  records: readonly ImportRecordInput[],
  deps: ImportJobDeps,
): Promise<ImportBatchResult> {
  if (!Number.isInteger(sequence) || sequence < 0) {
    throw new BadInputError(
      'sequence',
      'sequence must be a whole number from 0 up',
      IMPORT_JOB_ERRORS.BAD_SEQUENCE,
    );
  }
  if (records.length > MAX_BATCH_RECORDS) {
    throw new BadInputError(
      'records',
      `A batch holds at most ${MAX_BATCH_RECORDS} records, this one has ${records.length}: split it into batches of their own sequence numbers`,
      IMPORT_JOB_ERRORS.BATCH_TOO_LARGE,
    );
  }
  const digest = batchDigest(records);
  const job = await loadJob(jobId, deps);
  // A claim can vanish between two reads (its holder failed and gave it up): look again, briefly.
  for (let pass = 0; pass < 3; pass++) {
    const claimed = await deps.jobs.findBatch(jobId, sequence);
    if (claimed) {
      const result = await resume(claimed, records, digest, deps);
      if (result) return result;
      continue;
    }
    requireRunning(job, NO_MORE_BATCHES);
    const claim = newClaim(jobId, sequence, digest, 1, deps);
    if (await deps.jobs.claimBatch(claim)) return applyBatch(claim, records, deps);
  }
  throw inProgress(jobId, sequence);
}

function newClaim(jobId: string, sequence: number, digest: string, attempt: number, deps: ImportJobDeps) {
  const claim: ImportBatch = {
    _id: batchId(jobId, sequence),
    jobId,
    sequence,
    attempt,
    state: 'APPLYING',
    digest,
    claimedAt: new Date(),
    appliedAt: null,
    correlationId: deps.correlationId,
    received: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
  };
  return claim;
}

function inProgress(jobId: string, sequence: number): ConflictError {
  return new ConflictError(
    `Batch ${sequence} of import job ${jobId} is still being applied: send it again in a moment`,
    { field: 'sequence', reason: IMPORT_JOB_ERRORS.BATCH_IN_PROGRESS },
  );
}

/** A batch claimed before: its first outcome, its takeover when interrupted, or null when it vanished. */
async function resume(
  batch: ImportBatch,
  records: readonly ImportRecordInput[],
  digest: string,
  deps: ImportJobDeps,
): Promise<ImportBatchResult | null> {
  const { jobId, sequence } = batch;
  if (batch.digest !== digest) {
    throw new ConflictError(
      `Batch ${sequence} of import job ${jobId} was received with other records: send new records under a sequence number not used yet`,
      { field: 'records', reason: IMPORT_JOB_ERRORS.BATCH_MISMATCH },
    );
  }
  const timing = timingOf(deps);
  let current: ImportBatch | null = batch;
  const deadline = Date.now() + timing.waitMs;
  while (current && current.state === 'APPLYING' && !isStale(current, timing) && Date.now() < deadline) {
    await sleep(timing.pollMs);
    current = await deps.jobs.findBatch(jobId, sequence);
  }
  if (!current) return null;
  if (current.state === 'APPLIED') return replay(current, deps);
  if (!isStale(current, timing)) throw inProgress(jobId, sequence);
  requireRunning(
    await loadJob(jobId, deps),
    `batch ${sequence} was interrupted and cannot be applied any more; import its records in a new job`,
  );
  const fresh = newClaim(jobId, sequence, digest, current.attempt + 1, deps);
  if (!(await deps.jobs.takeOver(current, fresh))) throw inProgress(jobId, sequence);
  return applyBatch(fresh, records, deps);
}

/** The outcome of an applied batch again, making sure the job counted it (a crash may have come between). */
async function replay(batch: ImportBatch, deps: ImportJobDeps): Promise<ImportBatchResult> {
  const counts = countsOf(batch);
  await deps.jobs.countBatch(batch.jobId, batch.sequence, counts, batch.appliedAt ?? new Date());
  return {
    job: await loadJob(batch.jobId, deps),
    sequence: batch.sequence,
    replayed: true,
    counts,
    errors: await deps.jobs.batchErrors(batch.jobId, batch.sequence),
  };
}

/**
 * Applies a claimed batch. The job's status is read again after the claim: completion marks the job
 * first and then waits for the claims made before, so every batch is either refused here or awaited.
 */
async function applyBatch(
  claim: ImportBatch,
  records: readonly ImportRecordInput[],
  deps: ImportJobDeps,
): Promise<ImportBatchResult> {
  const job = await loadJob(claim.jobId, deps);
  if (job.status !== 'RUNNING') {
    await deps.jobs.releaseBatch(claim);
    requireRunning(job, NO_MORE_BATCHES);
  }
  let outcomes: RowOutcome[];
  try {
    // One upsert per batch: managers named in earlier batches are in the database by now (not in a dry run).
    const upsert = new UserUpsert(deps, await deps.tree(), { source: job.source, dryRun: job.dryRun });
    outcomes = await upsert.apply(
      records.map((record, index) => ({ line: index, record: toImportRecord(record) })),
    );
    // Reports sent in an earlier batch than their manager get them now; the rest keep waiting.
    await upsert.finish();
  } catch (err) {
    // Rows written before the failure come out unchanged when the batch is sent again.
    await deps.jobs.releaseBatch(claim).catch(() => undefined);
    throw err;
  }
  const counts = tally(outcomes);
  const errors = rowErrors(claim.jobId, claim.sequence, records, outcomes);
  const at = new Date();
  await deps.jobs.saveErrors(claim.jobId, claim.sequence, errors, claim.attempt > 1);
  await deps.jobs.markApplied(claim, counts, at);
  await deps.jobs.countBatch(claim.jobId, claim.sequence, counts, at);
  return { job: await loadJob(claim.jobId, deps), sequence: claim.sequence, replayed: false, counts, errors };
}

/** Completes a RUNNING job; completing it again answers the job (a retry after a timeout). */
export function completeImportJob(jobId: string, deps: ImportJobDeps): Promise<ImportJob> {
  return finish(jobId, 'COMPLETED', deps);
}

/** Cancels a RUNNING job: no more batches; what its batches wrote stays. */
export function cancelImportJob(jobId: string, deps: ImportJobDeps): Promise<ImportJob> {
  return finish(jobId, 'CANCELLED', deps);
}

async function finish(
  jobId: string,
  status: 'COMPLETED' | 'CANCELLED',
  deps: ImportJobDeps,
): Promise<ImportJob> {
  const verb = status === 'COMPLETED' ? 'completed' : 'cancelled';
  for (let pass = 0; pass < 2; pass++) {
    const job = await loadJob(jobId, deps);
    if (job.status === status) return job;
    requireRunning(job, `only a RUNNING job can be ${verb}`);
    const event = auditEvent(deps, jobId, verb, { status: job.status }, { status });
    if (
      await deps.jobs.finishJob(jobId, { status, finishedBy: deps.actor, finishedAt: new Date() }, [event])
    ) {
      await settle(jobId, deps);
      return loadJob(jobId, deps);
    }
    // Someone ended the job meanwhile: answer as for the state it is in now.
  }
  throw new ConflictError(`Import job ${jobId} changed meanwhile: try again`, {
    reason: IMPORT_JOB_ERRORS.CHANGED,
  });
}

/** Waits (bounded) for batches claimed before the job ended, so that the answer has the final counts. */
async function settle(jobId: string, deps: ImportJobDeps): Promise<void> {
  const timing = timingOf(deps);
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const inFlight = (await deps.jobs.pendingBatches(jobId)).filter((b) => !isStale(b, timing));
    if (inFlight.length === 0 || Date.now() >= deadline) return;
    await sleep(timing.pollMs);
  }
}
