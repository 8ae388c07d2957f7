import type { AnyBulkWriteOperation, Collection, Document, Filter } from 'mongodb';
import { documentKey, withDocumentLocks } from '../locks';
import type { Logger } from '../logger';
import { chunkId, itemsOf, type CreationBatch, type CreationChunk } from './creation-outbox';
import type { EventEnvelope } from './envelope';
import type { EventPublisher } from './publisher';

/**
 * Transactional outbox without multi-document transactions: the events of a change are written
 * in the same document update as the change (`outbox`, `outboxPending`), and a relay publishes
 * them and removes them afterwards. A change that commits is published at least once, whether
 * Kafka is down at that moment or the process dies right after the write.
 */
export interface OutboxFields {
  outbox?: EventEnvelope[];
  /** true while `outbox` holds unpublished events; an equality filter FerretDB pushes down. */
  outboxPending?: boolean;
  /** Incremented by every write that appends events; the relay clears the outbox only if it is unchanged. */
  outboxSeq?: number;
}

/** The shape the relay reads: any document with outbox fields. */
export interface OutboxDocument extends OutboxFields {
  _id: unknown;
  /** Events that broke their contract when the relay read them; never published. */
  outboxRejected?: EventEnvelope[];
}

/** Fields to merge into a new document so that its events are published with it. */
export function outboxInsert(events: EventEnvelope[]): Required<OutboxFields> {
  return { outbox: events, outboxPending: events.length > 0, outboxSeq: 1 };
}

/** Update operators that append events to an existing document's outbox in the same write. */
export function outboxUpdate(events: EventEnvelope[]): { $push: Document; $set: Document; $inc: Document } {
  return { $push: { outbox: { $each: events } }, $set: { outboxPending: true }, $inc: { outboxSeq: 1 } };
}

/** The index every outbox collection needs: it serves the relay's `{ outboxPending: true }` scan. */
export const OUTBOX_INDEX = { outboxPending: 1 } as const;

export interface OutboxRelayOptions {
  collections: Collection<OutboxDocument>[];
  publisher: EventPublisher;
  logger: Logger;
  /** How often the relay looks for pending events when nobody kicked it. */
  pollMs: number;
  /** Documents read per round. */
  batchSize?: number;
  /** The events of documents created in bulk (see CreationOutbox), published before the others. */
  creations?: Collection<CreationChunk>;
  creationBatches?: Collection<CreationBatch>;
  /** Finds a created document's collection, to recover entries a crash left unconfirmed. */
  collectionOf?: (name: string) => Collection<OutboxDocument>;
  /** How long an unconfirmed creation entry may be in flight before recovery looks at it. */
  creationGraceMs?: number;
}

/** How often at most the relay looks for creation batches a crash left unconfirmed. */
const RECOVERY_EVERY_MS = 10_000;

/** Publishes pending outbox events; `kick()` after a write makes it run at once. */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = true;
  /** Whether the last round reached Kafka (false after a failed send). */
  healthy = true;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Run a round now (or right after the current one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Publishes until nothing is pending; returns 0 when nothing was. Throws when Kafka fails. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.round();
      total += sent;
      if (sent === 0) return total;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
  }

  /**
   * A document whose events break their contract would block the relay forever: its events move
   * to `outboxRejected` (kept for inspection, logged as an error) and the rest go on.
   */
  private async setAsideInvalid(
    collection: Collection<OutboxDocument>,
    docs: OutboxDocument[],
  ): Promise<OutboxDocument[]> {
    const valid: OutboxDocument[] = [];
    for (const doc of docs) {
      try {
        for (const event of doc.outbox ?? []) this.options.publisher.check(event);
        valid.push(doc);
      } catch (err) {
        this.options.logger.error(
          { err, documentId: doc._id },
          'outbox events break their contract; set aside',
        );
        await withDocumentLocks(keysOf(collection, [doc]), () =>
          collection.updateOne(
            { _id: doc._id, outboxSeq: doc.outboxSeq ?? { $exists: false } } as Filter<OutboxDocument>,
            { $set: { outbox: [], outboxPending: false, outboxRejected: doc.outbox ?? [] } },
          ),
        );
      }
    }
    return valid;
  }

  /**
   * For documents written to between the read and the clear: removes the published events from
   * their current outbox under a compare-and-set. A document that changes again in between keeps
   * its whole outbox, and its consumers skip the duplicates by event id.
   */
  private async removePublished(
    collection: Collection<OutboxDocument>,
    published: OutboxDocument[],
  ): Promise<void> {
    const sent = new Set(published.flatMap((d) => (d.outbox ?? []).map((e) => e.id)));
    const current = await collection
      .find(
        { _id: { $in: published.map((d) => d._id) as never[] }, outboxPending: true },
        {
          projection: { outbox: 1, outboxSeq: 1 },
        },
      )
      .toArray();
    const changed = current.filter((d) => (d.outbox ?? []).some((e) => sent.has(e.id)));
    if (changed.length === 0) return;
    await casWrites(
      collection,
      changed.map((d) => {
        const rest = (d.outbox ?? []).filter((e) => !sent.has(e.id));
        return {
          updateOne: {
            filter: { _id: d._id, outboxSeq: d.outboxSeq ?? { $exists: false } } as Filter<OutboxDocument>,
            update: { $set: { outbox: rest, outboxPending: rest.length > 0 } },
          },
        };
      }),
    );
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    let sent = 0;
    try {
      this.running = this.round();
      sent = await this.running;
      this.healthy = true;
    } catch (err) {
      this.healthy = false;
      this.options.logger.warn({ err }, 'outbox relay could not publish; will retry');
    } finally {
      this.running = null;
    }
    if (this.stopped) return;
    const more = this.again || sent > 0;
    this.again = false;
    this.schedule(more && this.healthy ? 0 : this.options.pollMs);
  }

  /**
   * Confirmed creation batches, oldest first: their events are published (those of documents that
   * did not land left out), then the batch is deleted; a crash in between publishes it again, a
   * duplicate consumers skip. Unconfirmed chunks past the grace period are published for the
   * documents that exist and dropped for the others; looking for them reads every staged chunk,
   * so it happens at most once per RECOVERY_EVERY_MS (or per grace period, if shorter).
   */
  private async creationRound(): Promise<number> {
    const { creations, creationBatches } = this.options;
    if (!creations || !creationBatches) return 0;
    let progress = 0;
    const confirmed = await creationBatches.find({}, { sort: { confirmedAt: 1 }, limit: 5 }).toArray();
    for (const batch of confirmed) {
      const failed = new Set(batch.failed);
      const ids = Array.from({ length: batch.chunks }, (_, i) => chunkId(batch._id, i));
      const chunks: CreationChunk[] = [];
      for (const id of ids) {
        const chunk = await creations.findOne({ _id: id });
        if (chunk) chunks.push(chunk);
      }
      const events = chunks.flatMap((c) =>
        itemsOf(c)
          .filter((item) => !failed.has(item.documentId))
          .flatMap((item) => item.events),
      );
      await this.options.publisher.publish(events);
      for (const id of ids) await creations.deleteOne({ _id: id });
      await creationBatches.deleteOne({ _id: batch._id });
      progress += Math.max(events.length, 1);
    }
    return progress + (await this.recoverCreations(creations, creationBatches));
  }

  private lastRecovery = 0;

  private async recoverCreations(
    creations: Collection<CreationChunk>,
    creationBatches: Collection<CreationBatch>,
  ): Promise<number> {
    const grace = this.options.creationGraceMs ?? 60_000;
    if (Date.now() - this.lastRecovery < Math.min(grace, RECOVERY_EVERY_MS)) return 0;
    this.lastRecovery = Date.now();
    const stale = await creations
      .find({ stagedAt: { $lt: new Date(Date.now() - grace) } }, { limit: 20 })
      .toArray();
    let progress = 0;
    for (const chunk of stale) {
      if (await creationBatches.findOne({ _id: chunk.batch })) continue; // confirmed meanwhile
      const documents = this.options.collectionOf?.(chunk.collection);
      const events: EventEnvelope[] = [];
      for (const item of itemsOf(chunk)) {
        const exists = documents
          ? await documents.findOne({ _id: item.documentId as never }, { projection: { _id: 1 } })
          : null;
        if (exists) events.push(...item.events);
      }
      if (events.length > 0) await this.options.publisher.publish(events);
      await creations.deleteOne({ _id: chunk._id });
      progress += Math.max(events.length, 1);
    }
    if (progress > 0) this.lastRecovery = 0; // more may wait: look again next round
    return progress;
  }

  /** One round over every collection: read pending documents, publish their events, then remove them. */
  private async round(): Promise<number> {
    const limit = this.options.batchSize ?? 200;
    let progress = await this.creationRound();
    for (const collection of this.options.collections) {
      const docs = await collection
        .find({ outboxPending: true }, { projection: { outbox: 1, outboxSeq: 1 }, limit })
        .toArray();
      if (docs.length === 0) continue;
      const publishable = await this.setAsideInvalid(collection, docs);
      progress += docs.length - publishable.length; // set-aside documents count as progress
      if (publishable.length === 0) continue;
      const events = publishable.flatMap((d) => d.outbox ?? []);
      await this.options.publisher.publish(events);
      // Compare-and-set on outboxSeq: a document that received events meanwhile is not cleared
      // blindly; its published events are taken out of its current outbox instead, so only the
      // newer ones go out next round. ($pull with a condition on array elements is a silent no-op
      // on FerretDB v1, hence the read and compare-and-set.)
      await withDocumentLocks(keysOf(collection, publishable), async () => {
        const matched = await casWrites(
          collection,
          publishable.map((d) => ({
            updateOne: {
              filter: { _id: d._id, outboxSeq: d.outboxSeq ?? { $exists: false } } as Filter<OutboxDocument>,
              update: { $set: { outbox: [], outboxPending: false } },
            },
          })),
        );
        if (matched < publishable.length) await this.removePublished(collection, publishable);
      });
      progress += Math.max(events.length, 1);
    }
    return progress;
  }
}

/**
 * FerretDB v1.24 keeps each statement's read of an update command open until the whole command
 * ends (internal/handler/msg_update.go defers every iterator's close inside its loop), and every
 * open read holds a connection of its pool to the back end. A command of n statements needs n + 1
 * connections at once: on PostgreSQL with a pool of 50, a 50-statement command waits forever for
 * the 51st, holding the registry lock, and the whole database stops answering (on SQLite it did
 * at 100). So the relay's compare-and-set writes go in commands of a few statements.
 */
const STATEMENTS_PER_COMMAND = 8;

/** Runs unordered updateOne operations in commands of STATEMENTS_PER_COMMAND; returns how many matched. */
async function casWrites(
  collection: Collection<OutboxDocument>,
  operations: AnyBulkWriteOperation<OutboxDocument>[],
): Promise<number> {
  let matched = 0;
  for (let i = 0; i < operations.length; i += STATEMENTS_PER_COMMAND) {
    const result = await collection.bulkWrite(operations.slice(i, i + STATEMENTS_PER_COMMAND), {
      ordered: false,
    });
    matched += result.matchedCount;
  }
  return matched;
}

function keysOf(collection: Collection<OutboxDocument>, docs: OutboxDocument[]): string[] {
  return docs.map((d) => documentKey(collection.collectionName, d._id));
}
