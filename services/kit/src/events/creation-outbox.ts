import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import type { Collection, Db } from 'mongodb';
import { mongo } from 'mongoose';
import type { Logger } from '../logger';
import type { EventEnvelope } from './envelope';

/**
 * The outbox of documents created in bulk (an import): their events wait in a small collection of
 * their own instead of in each new document. Clearing an in-document outbox takes one update per
 * document: on FerretDB over PostgreSQL an update rewrites the whole document (a user with its
 * list buckets is about 2 KB), so publishing N imported users would cost N such writes, where a
 * batch here costs a few inserts and deletes. (On the SQLite back end each update also read the
 * whole collection: O(N²).) The events of a batch are staged
 * before its documents are inserted and confirmed afterwards by one insert naming the documents
 * that did not land; the relay publishes a confirmed batch, then deletes it.
 *
 * A batch is staged as a few chunk documents with ids derived from the batch's, so that the relay
 * reads and deletes them by `_id` equality, which FerretDB serves from an index on every back end
 * (one document per event would make every batch many more documents to read and delete).
 *
 * A crash between staging and confirming leaves an unconfirmed batch: after a grace period the relay
 * publishes the events whose document exists and drops the others, so a created document's events
 * go out at least once and those of a document that never landed never do.
 */
export interface CreationChunk {
  /** `${batch}:${index}` */
  _id: string;
  batch: string;
  /** The collection the created documents live in. */
  collection: string;
  /**
   * The chunk's documents and their events, in staging order: a JSON array, deflated. FerretDB
   * stores bytes as they are, while converting a large nested array costs it more than the events
   * are worth, and the database, not the process, is what limits an import.
   */
  items: mongo.Binary;
  stagedAt: Date;
}

/** A batch's confirmation: its documents were inserted, except `failed`. */
export interface CreationBatch {
  _id: string;
  chunks: number;
  failed: string[];
  confirmedAt: Date;
}

export const CREATION_OUTBOX = 'outbox_creation_chunks';
export const CREATION_BATCHES = 'outbox_creation_batches';

/** A chunk stays well below the 16 MB document limit whatever the size of the events. */
const CHUNK_BYTES = 2 * 1024 * 1024;

export interface CreationOutboxOptions {
  /** Largest chunk, in characters of JSON (an item larger than this gets a chunk of its own). */
  chunkBytes?: number;
}

const deflate = promisify(deflateRaw);

export function chunkId(batch: string, index: number): string {
  return `${batch}:${index}`;
}

/** Stages and confirms the events of documents created in bulk, a batch at a time. */
export class CreationOutbox {
  constructor(
    private readonly chunks: Collection<CreationChunk>,
    private readonly batches: Collection<CreationBatch>,
    private readonly collection: string,
    private readonly options: CreationOutboxOptions = {},
  ) {}

  static of(db: Db, collection: string, options?: CreationOutboxOptions): CreationOutbox {
    return new CreationOutbox(
      db.collection<CreationChunk>(CREATION_OUTBOX),
      db.collection<CreationBatch>(CREATION_BATCHES),
      collection,
      options,
    );
  }

  /** Documents whose events wait in staged chunks (a crash or a failed send left them). */
  async staged(): Promise<number> {
    const chunks = await this.chunks
      .find({ collection: this.collection }, { projection: { items: 1 } })
      .toArray();
    return chunks.reduce((n, chunk) => n + itemsOf(chunk).length, 0);
  }

  /**
   * Serialises a batch's events into chunks (computation only: an import does it while the previous
   * batch is being written). Documents without events are left out.
   */
  async prepare(items: StagedItem[]): Promise<PreparedBatch> {
    const batch = randomUUID();
    const stagedAt = new Date();
    const limit = this.options.chunkBytes ?? CHUNK_BYTES;
    // Grouped first, then deflated on libuv's threads: the process's own thread stays free for the
    // database writes this overlaps with.
    const groups: string[][] = [];
    let parts: string[] = [];
    let bytes = 0;
    for (const item of items) {
      if (item.events.length === 0) continue;
      const json = JSON.stringify(item);
      if (bytes + json.length > limit && parts.length > 0) {
        groups.push(parts);
        parts = [];
        bytes = 0;
      }
      parts.push(json);
      bytes += json.length;
    }
    if (parts.length > 0) groups.push(parts);
    const chunks = await Promise.all(
      groups.map(async (group, index) => ({
        _id: chunkId(batch, index),
        batch,
        collection: this.collection,
        items: new mongo.Binary(await deflate(`[${group.join(',')}]`, { level: 1 })),
        stagedAt,
      })),
    );
    return { batch, chunks };
  }

  /** Before inserting the documents: their events, unconfirmed. Returns the batch to settle. */
  async stage(prepared: PreparedBatch): Promise<StagedBatch> {
    if (prepared.chunks.length > 0) await this.chunks.insertMany(prepared.chunks, { ordered: false });
    return { batch: prepared.batch, chunks: prepared.chunks.length };
  }

  /** A batch whose events went out by other means (see CreationSender): its chunks go. */
  async discard(staged: StagedBatch): Promise<void> {
    for (let i = 0; i < staged.chunks; i++) await this.chunks.deleteOne({ _id: chunkId(staged.batch, i) });
  }

  /** After inserting: the batch may go out, without the events of the documents that did not land. */
  async settle(staged: StagedBatch, failed: string[]): Promise<void> {
    if (staged.chunks === 0) return;
    await this.batches.insertOne({
      _id: staged.batch,
      chunks: staged.chunks,
      failed,
      confirmedAt: new Date(),
    });
  }
}

export interface StagedItem {
  documentId: string;
  events: EventEnvelope[];
}

/** A chunk's items, as staged. */
export function itemsOf(chunk: Pick<CreationChunk, 'items'>): StagedItem[] {
  return JSON.parse(inflateRawSync(chunk.items.buffer).toString('utf8')) as StagedItem[];
}

export interface PreparedBatch {
  batch: string;
  chunks: CreationChunk[];
}

export interface StagedBatch {
  batch: string;
  chunks: number;
}

/** Events per send of a CreationSender. */
const SEND_SLICE = 500;

/**
 * Publishes created documents' events from the process that created them, right after their insert,
 * instead of confirming them for a relay that would read them back. Batches go out one at a time, in
 * order, without holding up the next insert; a sent batch's chunks are deleted. The outbox remains
 * the safety net: once a send fails, that batch and every later one are confirmed for the relay
 * instead, and a crash before a batch's chunks are deleted leaves them unconfirmed, for the relay's
 * recovery (consumers skip the duplicates either way).
 */
export class CreationSender {
  private queue: Promise<void> = Promise.resolve();
  private failing = false;
  private error: unknown = null;

  constructor(
    private readonly outbox: CreationOutbox,
    private readonly publish: (events: EventEnvelope[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** After inserting a batch: `events` are those of the documents that landed, `failed` the others. */
  send(staged: StagedBatch, failed: string[], events: EventEnvelope[]): void {
    if (this.error) throw this.error;
    this.queue = this.queue.then(async () => {
      if (!this.failing) {
        try {
          // In slices: encoding a send holds the process's thread, and the import's database
          // writes wait behind it. A failure after some slices makes the relay send those again.
          for (let i = 0; i < events.length; i += SEND_SLICE) {
            await this.publish(events.slice(i, i + SEND_SLICE));
          }
        } catch (err) {
          this.failing = true;
          this.logger.warn({ err }, "could not publish created documents' events; the outbox relay will");
        }
        // Sent: the chunks go. (A database failure here fails the queue: the chunks stay
        // unconfirmed, and the relay's recovery sends them again after its grace period.)
        if (!this.failing) return this.outbox.discard(staged);
      }
      await this.outbox.settle(staged, failed);
    });
    this.queue.catch((err: unknown) => {
      this.error = err;
    });
  }

  /** Whether every batch so far went out directly (false: some wait for the relay). */
  get direct(): boolean {
    return !this.failing;
  }

  /** Waits until every batch is sent or confirmed for the relay; throws when one could be neither. */
  async flush(): Promise<void> {
    await this.queue;
  }
}
