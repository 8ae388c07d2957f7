import {
  documentKey,
  isDuplicateKey,
  outboxInsert,
  outboxUpdate,
  withDocumentLocks,
  type EventEnvelope,
} from '@concierge/kit';
import type { FilterQuery } from 'mongoose';
import type {
  ImportBatchRecord,
  ImportCounts,
  ImportErrorRecord,
  ImportJobModels,
  ImportJobRecord,
  ImportJobStatus,
} from './import-job.model';

export type { ImportCounts, ImportJobStatus } from './import-job.model';

/** An import job as the domain sees it: without its outbox and its counting guard. */
export type ImportJob = Omit<ImportJobRecord, 'outbox' | 'outboxPending' | 'outboxSeq' | 'countedBatches'>;
export type ImportBatch = ImportBatchRecord;
export type ImportRowError = ImportErrorRecord;

const PUBLIC = { outbox: 0, outboxPending: 0, outboxSeq: 0, countedBatches: 0 } as const;

/** The claim id of one batch of a job. */
export function batchId(jobId: string, sequence: number): string {
  return `${jobId}:${sequence}`;
}

/**
 * Import jobs, their batch claims and their rejected rows; returns plain objects. Every write of a
 * job document takes its document lock, as the outbox relay does, because FerretDB applies an
 * update as read-modify-write of the whole document (see README, "FerretDB and MongoDB").
 */
export class ImportJobRepository {
  constructor(private readonly models: ImportJobModels) {}

  private jobLock(id: string): string[] {
    return [documentKey(this.models.jobs.collection.collectionName, id)];
  }

  /** Stores a new job with its events in the same write (transactional outbox). */
  async insertJob(job: ImportJob, events: EventEnvelope[]): Promise<ImportJob> {
    await this.models.jobs.create({ ...job, countedBatches: [], ...outboxInsert(events) });
    return job;
  }

  async findJob(id: string): Promise<ImportJob | null> {
    return this.models.jobs.findById(id, PUBLIC).lean<ImportJob>().exec();
  }

  /** A page of jobs, newest first, keyset-paginated on (startedAt, _id) descending. */
  async listJobs(query: { after?: { startedAt: Date; id: string }; limit: number }): Promise<ImportJob[]> {
    const filter: FilterQuery<ImportJobRecord> = {};
    if (query.after) {
      const { startedAt, id } = query.after;
      filter.$or = [{ startedAt: { $lt: startedAt } }, { startedAt, _id: { $lt: id } }];
    }
    return this.models.jobs
      .find(filter, PUBLIC)
      .sort({ startedAt: -1, _id: -1 })
      .limit(query.limit)
      .lean<ImportJob[]>()
      .exec();
  }

  /** Ends a RUNNING job with its events in the same write; false when it was not RUNNING any more. */
  async finishJob(
    id: string,
    change: { status: Exclude<ImportJobStatus, 'RUNNING'>; finishedBy: string; finishedAt: Date },
    events: EventEnvelope[],
  ): Promise<boolean> {
    const update = outboxUpdate(events);
    const result = await withDocumentLocks(this.jobLock(id), () =>
      this.models.jobs
        .updateOne(
          { _id: id, status: 'RUNNING' },
          { ...update, $set: { ...update.$set, ...change, updatedAt: change.finishedAt } },
        )
        .exec(),
    );
    return result.modifiedCount === 1;
  }

  /**
   * Adds an applied batch's counts to its job, once: the job remembers the sequences it counted, so
   * a retry that finds the batch applied can make sure it is counted without counting it twice.
   */
  async countBatch(jobId: string, sequence: number, counts: ImportCounts, at: Date): Promise<boolean> {
    const result = await withDocumentLocks(this.jobLock(jobId), () =>
      this.models.jobs
        .updateOne(
          { _id: jobId, countedBatches: { $ne: sequence } },
          {
            $inc: { ...counts, batchesReceived: 1 },
            $push: { countedBatches: sequence },
            $set: { updatedAt: at },
          },
        )
        .exec(),
    );
    return result.modifiedCount === 1;
  }

  /** Claims a batch by inserting its claim; false when the batch was claimed before. */
  async claimBatch(claim: ImportBatch): Promise<boolean> {
    try {
      await this.models.batches.create(claim);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async findBatch(jobId: string, sequence: number): Promise<ImportBatch | null> {
    return this.models.batches.findById(batchId(jobId, sequence)).lean<ImportBatch>().exec();
  }

  /** Gives up a claim (its holder could not apply the batch), so that the batch may be sent again. */
  async releaseBatch(claim: Pick<ImportBatch, '_id' | 'attempt'>): Promise<void> {
    await this.models.batches.deleteOne({ _id: claim._id, attempt: claim.attempt, state: 'APPLYING' }).exec();
  }

  /**
   * Replaces an interrupted claim by a fresh one; true when this caller holds the fresh claim. The
   * insert decides between callers racing for the same interrupted batch.
   */
  async takeOver(stale: Pick<ImportBatch, '_id' | 'attempt'>, fresh: ImportBatch): Promise<boolean> {
    await this.releaseBatch(stale);
    return this.claimBatch(fresh);
  }

  /** Records the outcome of the claimed attempt; the batch is applied from now on. */
  async markApplied(
    claim: Pick<ImportBatch, '_id' | 'attempt'>,
    counts: ImportCounts,
    at: Date,
  ): Promise<void> {
    await this.models.batches
      .updateOne(
        { _id: claim._id, attempt: claim.attempt },
        { $set: { ...counts, state: 'APPLIED', appliedAt: at } },
      )
      .exec();
  }

  /** Claims of the job that are not applied yet (being applied, or interrupted), by sequence. */
  async pendingBatches(jobId: string): Promise<ImportBatch[]> {
    const rows = await this.models.batches.find({ jobId, state: 'APPLYING' }).lean<ImportBatch[]>().exec();
    return rows.sort((a, b) => a.sequence - b.sequence);
  }

  /**
   * Stores a batch's rejected rows. `replace` first removes what an interrupted attempt may have
   * left; ids are per row, so a leftover of the same row is not stored twice either way.
   */
  async saveErrors(jobId: string, sequence: number, rows: ImportRowError[], replace: boolean): Promise<void> {
    if (replace) await this.models.errors.deleteMany({ jobId, sequence }).exec();
    if (rows.length === 0) return;
    try {
      await this.models.errors.collection.insertMany(rows as never[], { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** One batch's rejected rows in record order (at most a batch's size). */
  async batchErrors(jobId: string, sequence: number): Promise<ImportRowError[]> {
    return this.models.errors.find({ jobId, sequence }).sort({ index: 1 }).lean<ImportRowError[]>().exec();
  }

  /** A page of a job's rejected rows in (sequence, index) order. */
  async listErrors(
    jobId: string,
    query: { after?: { sequence: number; index: number }; limit: number },
  ): Promise<ImportRowError[]> {
    const filter: FilterQuery<ImportErrorRecord> = { jobId };
    if (query.after) {
      const { sequence, index } = query.after;
      filter.$or = [{ sequence: { $gt: sequence } }, { sequence, index: { $gt: index } }];
    }
    return this.models.errors
      .find(filter)
      .sort({ sequence: 1, index: 1 })
      .limit(query.limit)
      .lean<ImportRowError[]>()
      .exec();
  }
}
