import { randomUUID } from 'node:crypto';
import { MongoClient, type Collection } from 'mongodb';
import { dropDatabases, eventually, kafka, MONGO_BASE, readTopic } from '../../../../test/testkit';
import { createLogger } from '../logger';
import { EventContracts } from './contracts';
import {
  CREATION_BATCHES,
  CREATION_OUTBOX,
  CreationOutbox,
  CreationSender,
  type CreationBatch,
  type CreationChunk,
} from './creation-outbox';
import { createEvent, type EventEnvelope } from './envelope';
import { OutboxRelay, outboxInsert, outboxUpdate, type OutboxDocument } from './outbox';
import { EventPublisher } from './publisher';

const contracts = new EventContracts();

function renamed(id: string, name: string): EventEnvelope {
  return createEvent('/concierge/users', {
    type: 'organization.created',
    subject: id,
    data: { organizationId: id, code: 'OUTBOX', name, kind: 'BUSINESS_UNIT', parentId: null },
    actor: 'test',
    correlationId: 'outbox-test',
  });
}

/** A publisher that lets a writer change the document while its events are on their way. */
class RacingPublisher extends EventPublisher {
  duringNextPublish: (() => Promise<void>) | null = null;

  override async publish(events: EventEnvelope[]): Promise<void> {
    await super.publish(events);
    const write = this.duringNextPublish;
    this.duringNextPublish = null;
    await write?.();
  }
}

describe('the outbox relay (real database and broker)', () => {
  const dbName = `test-kit-outbox-${randomUUID().slice(0, 8)}`;
  let client: MongoClient;
  let docs: Collection<OutboxDocument & { _id: string }>;
  let publisher: RacingPublisher;

  beforeAll(async () => {
    client = await new MongoClient(`${MONGO_BASE}/${dbName}`).connect();
    docs = client.db(dbName).collection<OutboxDocument & { _id: string }>('things');
    publisher = new RacingPublisher(kafka, contracts, createLogger('test', 'silent'));
  });

  afterAll(async () => {
    await publisher.close();
    await client.close();
    await dropDatabases([dbName]);
  });

  it('when a document gets new events while its earlier ones are being published, then each event goes out exactly once', async () => {
    const id = randomUUID();
    const first = renamed(id, 'First');
    const second = renamed(id, 'Second');
    await docs.insertOne({ _id: id, ...outboxInsert([first]) });
    publisher.duringNextPublish = async () => {
      await docs.updateOne({ _id: id }, outboxUpdate([second]));
    };
    const reader = await readTopic('concierge.organization.v1');
    const relay = new OutboxRelay({
      collections: [docs as unknown as Collection<OutboxDocument>],
      publisher,
      logger: createLogger('test', 'silent'),
      pollMs: 60_000,
    });
    try {
      await relay.drain();
      const mine = await eventually(async () => {
        const seen = reader.values().filter((e) => e.subject === id);
        return seen.length >= 2 ? seen : undefined;
      });
      await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show up
      expect(
        reader
          .values()
          .filter((e) => e.subject === id)
          .map((e) => e.id),
      ).toEqual([first.id, second.id]);
      expect(mine).toHaveLength(2);
      expect(await docs.findOne({ _id: id })).toMatchObject({ outbox: [], outboxPending: false });
    } finally {
      await relay.stop();
      await reader.stop();
    }
  });
  it('when a round publishes hundreds of documents, then all are published and cleared (FerretDB needs small update commands)', async () => {
    const ids = Array.from({ length: 250 }, () => randomUUID());
    await docs.insertMany(ids.map((id) => ({ _id: id, ...outboxInsert([renamed(id, 'Many')]) })));
    const relay = new OutboxRelay({
      collections: [docs as unknown as Collection<OutboxDocument>],
      publisher,
      logger: createLogger('test', 'silent'),
      pollMs: 60_000,
      batchSize: 1_000,
    });
    try {
      await relay.drain();
      expect(await docs.countDocuments({ _id: { $in: ids }, outboxPending: false })).toBe(ids.length);
    } finally {
      await relay.stop();
    }
  });
  it('when documents are created in bulk, then the events of those that landed go out in order, across the chunks of a batch, and a crash before confirming neither loses nor invents events', async () => {
    const creations = client.db(dbName).collection<CreationChunk>(CREATION_OUTBOX);
    const creationBatches = client.db(dbName).collection<CreationBatch>(CREATION_BATCHES);
    // Chunks this small hold one document's events each, so a batch spans several.
    const outbox = new CreationOutbox(creations, creationBatches, 'things', { chunkBytes: 100 });
    const [landed, refused, crashed, neverWritten] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ].map(String) as [string, string, string, string];
    const first = renamed(landed, 'Landed');
    const second = renamed(landed, 'Landed again');
    const batch = await outbox.stage(
      await outbox.prepare([
        { documentId: landed, events: [first, second] },
        { documentId: refused, events: [renamed(refused, 'Refused')] },
      ]),
    );
    expect(batch.chunks).toBe(2);
    expect(await creations.countDocuments({ batch: batch.batch })).toBe(2);
    await docs.insertOne({ _id: landed, ...outboxInsert([]) });
    await outbox.settle(batch, [refused]);
    // A process that died between staging and confirming: one document landed, one did not.
    const lost = renamed(crashed, 'Crashed');
    const unconfirmed = await outbox.stage(
      await outbox.prepare([
        { documentId: crashed, events: [lost] },
        { documentId: neverWritten, events: [renamed(neverWritten, 'Never written')] },
      ]),
    );
    await docs.insertOne({ _id: crashed, ...outboxInsert([]) });

    const reader = await readTopic('concierge.organization.v1');
    const relay = new OutboxRelay({
      collections: [docs as unknown as Collection<OutboxDocument>],
      creations,
      creationBatches,
      collectionOf: () => docs as unknown as Collection<OutboxDocument>,
      creationGraceMs: 0,
      publisher,
      logger: createLogger('test', 'silent'),
      pollMs: 60_000,
    });
    const mine = new Set([landed, refused, crashed, neverWritten]);
    try {
      await relay.drain();
      await eventually(async () => reader.values().filter((e) => mine.has(e.subject as string)).length >= 3);
      await new Promise((r) => setTimeout(r, 1_000)); // room for an event that should not come
      // One subject's events keep their order (one partition); other subjects may interleave.
      const ids = (subject: string) =>
        reader
          .values()
          .filter((e) => e.subject === subject)
          .map((e) => e.id);
      expect(ids(landed)).toEqual([first.id, second.id]);
      expect(ids(crashed)).toEqual([lost.id]);
      expect([...ids(refused), ...ids(neverWritten)]).toEqual([]);
      expect(await creations.countDocuments({ batch: { $in: [batch.batch, unconfirmed.batch] } })).toBe(0);
      expect(await creationBatches.countDocuments({ _id: batch.batch })).toBe(0);
    } finally {
      await relay.stop();
      await reader.stop();
    }
  });
  it('when an import sends its batches itself and Kafka fails midway, then the failed batch and every later one wait for the relay, which publishes each landed event exactly once', async () => {
    const creations = client.db(dbName).collection<CreationChunk>(CREATION_OUTBOX);
    const creationBatches = client.db(dbName).collection<CreationBatch>(CREATION_BATCHES);
    // Chunks this small hold one document's events each, so a batch spans several.
    const outbox = new CreationOutbox(creations, creationBatches, 'things', { chunkBytes: 100 });
    const [sent, sentRefused, firstLanded, firstRefused, secondLanded, secondRefused] = Array.from(
      { length: 6 },
      () => randomUUID(),
    ) as [string, string, string, string, string, string];
    const mine = new Set([sent, sentRefused, firstLanded, firstRefused, secondLanded, secondRefused]);
    const reader = await readTopic('concierge.organization.v1');
    const ids = (subject: string) =>
      reader
        .values()
        .filter((e) => e.subject === subject)
        .map((e) => e.id);
    let relay: OutboxRelay | null = null;
    try {
      // Kafka answers: the batch goes out from the sender, and its chunks go.
      const direct = new CreationSender(
        outbox,
        (events) => publisher.publish(events),
        createLogger('test', 'silent'),
      );
      const a = renamed(sent, 'Sent');
      const b = renamed(sent, 'Sent again');
      const staged = await outbox.stage(
        await outbox.prepare([
          { documentId: sent, events: [a, b] },
          { documentId: sentRefused, events: [renamed(sentRefused, 'Sent refused')] },
        ]),
      );
      expect(staged.chunks).toBe(2);
      await docs.insertOne({ _id: sent, ...outboxInsert([]) });
      direct.send(staged, [sentRefused], [a, b]);
      await direct.flush();
      await eventually(async () => ids(sent).length >= 2);
      expect(ids(sent)).toEqual([a.id, b.id]);
      expect(await creations.countDocuments({ batch: staged.batch })).toBe(0);
      expect(await creationBatches.countDocuments({ _id: staged.batch })).toBe(0);
      expect(direct.direct).toBe(true);

      // Kafka is down: the first batch is confirmed after its failed send, the second without a try.
      let publishes = 0;
      const failing = new CreationSender(
        outbox,
        async () => {
          publishes += 1;
          throw new Error('broker unavailable');
        },
        createLogger('test', 'silent'),
      );
      const first = renamed(firstLanded, 'First landed');
      const second = renamed(secondLanded, 'Second landed');
      const third = renamed(secondLanded, 'Second landed again');
      const one = await outbox.stage(
        await outbox.prepare([
          { documentId: firstLanded, events: [first] },
          { documentId: firstRefused, events: [renamed(firstRefused, 'First refused')] },
        ]),
      );
      const two = await outbox.stage(
        await outbox.prepare([
          { documentId: secondLanded, events: [second, third] },
          { documentId: secondRefused, events: [renamed(secondRefused, 'Second refused')] },
        ]),
      );
      await docs.insertMany([
        { _id: firstLanded, ...outboxInsert([]) },
        { _id: secondLanded, ...outboxInsert([]) },
      ]);
      failing.send(one, [firstRefused], [first]);
      failing.send(two, [secondRefused], [second, third]);
      await expect(failing.flush()).resolves.toBeUndefined();
      expect(publishes).toBe(1);
      expect(failing.direct).toBe(false);
      expect(await creationBatches.findOne({ _id: one.batch })).toMatchObject({
        chunks: one.chunks,
        failed: [firstRefused],
      });
      expect(await creationBatches.findOne({ _id: two.batch })).toMatchObject({
        chunks: two.chunks,
        failed: [secondRefused],
      });
      expect(await creations.countDocuments({ batch: one.batch })).toBe(one.chunks);
      expect(await creations.countDocuments({ batch: two.batch })).toBe(two.chunks);

      relay = new OutboxRelay({
        collections: [docs as unknown as Collection<OutboxDocument>],
        creations,
        creationBatches,
        collectionOf: () => docs as unknown as Collection<OutboxDocument>,
        creationGraceMs: 0,
        publisher,
        logger: createLogger('test', 'silent'),
        pollMs: 60_000,
      });
      await relay.drain();
      await eventually(async () => reader.values().filter((e) => mine.has(e.subject as string)).length >= 5);
      await new Promise((r) => setTimeout(r, 1_000)); // room for an event that should not come
      expect(ids(firstLanded)).toEqual([first.id]);
      expect(ids(secondLanded)).toEqual([second.id, third.id]);
      expect(ids(sent)).toEqual([a.id, b.id]); // the relay does not send a sent batch again
      expect([...ids(sentRefused), ...ids(firstRefused), ...ids(secondRefused)]).toEqual([]);
      expect(await creations.countDocuments({ batch: { $in: [one.batch, two.batch] } })).toBe(0);
      expect(await creationBatches.countDocuments({ _id: { $in: [one.batch, two.batch] } })).toBe(0);
    } finally {
      await relay?.stop();
      await reader.stop();
    }
  });
});
