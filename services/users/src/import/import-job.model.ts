import { Schema, type Connection, type Model } from 'mongoose';
import { addOutbox, type OutboxFields } from '@concierge/kit';

export type ImportJobStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLED';

/** What a batch (or a whole job) did to its rows; in a dry run, what it would have done. */
export interface ImportCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** An import job as stored: who started it, its state, and counters every applied batch adds to. */
export interface ImportJobRecord extends ImportCounts, OutboxFields {
  _id: string;
  status: ImportJobStatus;
  /** Source system recorded with external ids when a record names none (lower case). */
  source: string;
  dryRun: boolean;
  /** The user id (or system:<component>) that started the job. */
  startedBy: string;
  startedAt: Date;
  /** Last change: start, a counted batch, completion or cancellation. */
  updatedAt: Date;
  finishedAt: Date | null;
  finishedBy: string | null;
  /** Batches counted into the job. */
  batchesReceived: number;
  /** Sequences already counted: the guard that keeps a recovered batch from being counted twice. */
  countedBatches: number[];
}

export type ImportBatchState = 'APPLYING' | 'APPLIED';

/**
 * The claim of one batch, `_id` `${jobId}:${sequence}`: inserting it is what makes a batch apply once
 * (a unique insert is atomic on FerretDB, a conditional update is not). Once applied it keeps the
 * outcome, which a retry of the same batch gets back.
 */
export interface ImportBatchRecord extends ImportCounts {
  _id: string;
  jobId: string;
  sequence: number;
  /** Raised when an interrupted claim is taken over; an attempt above 1 re-applies the batch. */
  attempt: number;
  state: ImportBatchState;
  /** SHA-256 of the records, so that another batch sent under a used sequence is refused. */
  digest: string;
  claimedAt: Date;
  appliedAt: Date | null;
  /** The request that applied the batch (its user events carry the same correlation id). */
  correlationId: string;
}

/** A rejected row, `_id` `${jobId}:${sequence}:${index}`. */
export interface ImportErrorRecord {
  _id: string;
  jobId: string;
  sequence: number;
  /** Position of the record in its batch, from 0. */
  index: number;
  externalId: string | null;
  field: string | null;
  reason: string;
}

const COUNTS = {
  received: { type: Number, required: true },
  created: { type: Number, required: true },
  updated: { type: Number, required: true },
  unchanged: { type: Number, required: true },
  rejected: { type: Number, required: true },
} as const;

const jobSchema = new Schema<ImportJobRecord>(
  {
    _id: { type: String, required: true },
    status: { type: String, required: true, enum: ['RUNNING', 'COMPLETED', 'CANCELLED'] },
    source: { type: String, required: true },
    dryRun: { type: Boolean, required: true },
    startedBy: { type: String, required: true },
    startedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    finishedBy: { type: String, default: null },
    ...COUNTS,
    batchesReceived: { type: Number, required: true },
    countedBatches: { type: [Number], default: [] },
  },
  { collection: 'import_jobs', versionKey: false },
);
// importJobs(first, after): newest first, and its keyset (startedAt, _id).
jobSchema.index({ startedAt: -1, _id: -1 });
// The events of each change wait in the changed document until the relay publishes them.
addOutbox(jobSchema);

const batchSchema = new Schema<ImportBatchRecord>(
  {
    _id: { type: String, required: true },
    jobId: { type: String, required: true },
    sequence: { type: Number, required: true },
    attempt: { type: Number, required: true },
    state: { type: String, required: true, enum: ['APPLYING', 'APPLIED'] },
    digest: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    appliedAt: { type: Date, default: null },
    correlationId: { type: String, required: true },
    ...COUNTS,
  },
  { collection: 'import_job_batches', versionKey: false },
);
// ImportJob.pendingBatches and completion's wait for batches still being applied (equality filters).
batchSchema.index({ jobId: 1, state: 1 });

const errorSchema = new Schema<ImportErrorRecord>(
  {
    _id: { type: String, required: true },
    jobId: { type: String, required: true },
    sequence: { type: Number, required: true },
    index: { type: Number, required: true },
    externalId: { type: String, default: null },
    field: { type: String, default: null },
    reason: { type: String, required: true },
  },
  { collection: 'import_job_errors', versionKey: false },
);
// ImportJob.errors(first, after) in (sequence, index) order, and one batch's errors for its replay.
errorSchema.index({ jobId: 1, sequence: 1, index: 1 });

export interface ImportJobModels {
  jobs: Model<ImportJobRecord>;
  batches: Model<ImportBatchRecord>;
  errors: Model<ImportErrorRecord>;
}

export function importJobModels(db: Connection): ImportJobModels {
  return {
    jobs:
      (db.models.ImportJob as Model<ImportJobRecord> | undefined) ??
      db.model<ImportJobRecord>('ImportJob', jobSchema),
    batches:
      (db.models.ImportJobBatch as Model<ImportBatchRecord> | undefined) ??
      db.model<ImportBatchRecord>('ImportJobBatch', batchSchema),
    errors:
      (db.models.ImportJobError as Model<ImportErrorRecord> | undefined) ??
      db.model<ImportErrorRecord>('ImportJobError', errorSchema),
  };
}

/** Creates the collections and indexes before the service takes requests. */
export async function initImportJobModels(db: Connection): Promise<void> {
  const models = importJobModels(db);
  await models.jobs.init();
  await models.batches.init();
  await models.errors.init();
}
