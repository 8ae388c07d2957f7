import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { EventEnvelope } from './envelope';

/**
 * The outbox of documents created in bulk (an import): their events wait in a small collection of
 * their own instead of in each new document. Clearing an in-document outbox takes one update per
 * document, and on FerretDB over SQLite every update reads the whole collection (publishing N
 * imported users cost O(N²)); inserts and deletes here stay cheap. The events of a batch are staged
 * before its documents are inserted and confirmed afterwards by one insert naming the documents
 * that did not land; the relay publishes a confirmed batch, then deletes it.
 *
 * A crash between staging and confirming leaves an unconfirmed batch: after a grace period the relay
 * publishes the events whose document exists and drops the others, so a created document's events
 * go out at least once and those of a document that never landed never do.
 */
export interface CreationEntry {
  /** The event id. */
  _id: string;
  batch: string;
  /** The collection the created document lives in. */
  collection: string;
  documentId: string;
  event: EventEnvelope;
  /** Staging order: a batch's events are published in it. */
  seq: number;
  stagedAt: Date;
}

/** A batch's confirmation: its documents were inserted, except `failed`. */
export interface CreationBatch {
  _id: string;
  failed: string[];
  confirmedAt: Date;
}

export const CREATION_OUTBOX = 'outbox_creations';
export const CREATION_BATCHES = 'outbox_creation_batches';

/** Stages and confirms the events of documents created in bulk, a batch at a time. */
export class CreationOutbox {
  constructor(
    private readonly entries: Collection<CreationEntry>,
    private readonly batches: Collection<CreationBatch>,
    private readonly collection: string,
  ) {}

  static of(db: Db, collection: string): CreationOutbox {
    return new CreationOutbox(
      db.collection<CreationEntry>(CREATION_OUTBOX),
      db.collection<CreationBatch>(CREATION_BATCHES),
      collection,
    );
  }

  /** Before inserting the documents: their events, unconfirmed. Returns the batch to settle. */
  async stage(items: { documentId: string; events: EventEnvelope[] }[]): Promise<string> {
    const batch = randomUUID();
    const stagedAt = new Date();
    let seq = 0;
    const entries = items.flatMap(({ documentId, events }) =>
      events.map((event) => ({
        _id: event.id,
        batch,
        collection: this.collection,
        documentId,
        event,
        seq: seq++,
        stagedAt,
      })),
    );
    if (entries.length > 0) await this.entries.insertMany(entries, { ordered: false });
    return batch;
  }

  /** After inserting: the batch may go out, without the events of the documents that did not land. */
  async settle(batch: string, failed: string[]): Promise<void> {
    await this.batches.insertOne({ _id: batch, failed, confirmedAt: new Date() });
  }
}
