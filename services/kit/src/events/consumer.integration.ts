import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  dropDatabases,
  eventually,
  kafka,
  MONGO_BASE,
  readTopic,
  startAtEnd,
} from '../../../../test/testkit';
import { createLogger } from '../logger';
import { connectMongo } from '../mongo';
import { insertAllNew } from '../storage/batch';
import { batchedHandler, EventConsumer } from './consumer';
import { EventContractError, EventContracts } from './contracts';
import { createEvent, type EventEnvelope } from './envelope';
import { ensureTopics } from './kafka';
import { EventPublisher } from './publisher';

const TOPIC = 'concierge.credential.v1';
const TYPE = 'credential.set-password-issued';

function issued(userId: string, n: number): EventEnvelope {
  return createEvent('/concierge/users', {
    type: TYPE,
    subject: userId,
    data: {
      userId,
      email: `${userId}@example.org`,
      displayName: `Person ${n}`,
      purpose: 'ACTIVATION',
      expiresAt: '2027-01-07T08:00:00.000Z',
      sealedToken: 'v1.a.b.c',
    },
    actor: 'test',
    correlationId: randomUUID(),
  });
}

/**
 * The consumer handles partitions, and the keys within one, at once: what must still hold is each
 * key's order, one handling per event id, and the dead letters.
 */
describe('event consumer (real broker and database)', () => {
  const contracts = new EventContracts();
  const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const publisher = new EventPublisher(kafka, contracts, logger);
  const groupId = `test-consumer-${randomUUID().slice(0, 8)}`;
  const name = `test-consumer-${randomUUID().slice(0, 8)}`;
  const producer = kafka.producer();
  const handled: { key: string; n: number; id: string }[] = [];
  let failOn = '';
  let db: Connection;
  let consumer: EventConsumer;

  beforeAll(async () => {
    await ensureTopics(kafka, contracts);
    await startAtEnd(groupId, [TOPIC]);
    db = await connectMongo(`${MONGO_BASE}/${name}`);
    await producer.connect();
    consumer = new EventConsumer({
      kafka,
      contracts,
      publisher,
      db,
      groupId,
      logger,
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10, factor: 1, jitter: 0 },
      handlers: {
        [TYPE]: async (event) => {
          const data = event.data as { userId: string; displayName: string };
          if (event.id === failOn) throw new EventContractError('this one cannot be handled');
          // Uneven work, so that keys handled at once finish out of order.
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          handled.push({ key: data.userId, n: Number(data.displayName.split(' ')[1]), id: event.id });
        },
      },
    });
    await consumer.start();
    await eventually(async () => consumer.ready || undefined, 30_000);
  });
  afterAll(async () => {
    await consumer.stop();
    await producer.disconnect();
    await publisher.close();
    await db.close();
    await dropDatabases([name]);
  });

  it('when many keys arrive at once, then each key is handled in order and each event once', async () => {
    const keys = Array.from({ length: 12 }, () => randomUUID());
    const events = keys.flatMap((key) =>
      Array.from({ length: 15 }, (_, n) => ({ key, event: issued(key, n) })),
    );
    const repeated = events[7] as { key: string; event: EventEnvelope };
    const messages = [...events, repeated].map(({ key, event }) => ({ key, value: JSON.stringify(event) }));
    await producer.send({ topic: TOPIC, messages });
    await eventually(async () => (handled.length >= events.length ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 500)); // a repeat would land now
    expect(handled).toHaveLength(events.length);
    for (const key of keys) {
      expect(handled.filter((h) => h.key === key).map((h) => h.n)).toEqual(
        Array.from({ length: 15 }, (_, n) => n),
      );
    }
    const recorded = await db.collection('processed_events').countDocuments({ type: TYPE });
    expect(recorded).toBe(events.length);
  });

  it('when a message is not an event or its handler refuses it, then it goes to the dead letters, unrecorded, and the others are handled', async () => {
    const dead = await readTopic(contracts.deadLetterTopic);
    const key = randomUUID();
    const refused = issued(key, 1);
    failOn = refused.id;
    const after = issued(key, 2);
    handled.length = 0;
    await producer.send({
      topic: TOPIC,
      messages: [
        { key, value: 'not json' },
        { key, value: JSON.stringify(refused) },
        { key, value: JSON.stringify(after) },
      ],
    });
    await eventually(async () => (handled.some((h) => h.id === after.id) ? true : undefined), 30_000);
    const ours = () => dead.messages.filter((m) => m.headers?.['dlq-group']?.toString() === groupId);
    const letters = await eventually(async () => (ours().length >= 2 ? ours() : undefined), 30_000);
    expect(letters.map((m) => m.headers?.['dlq-reason']?.toString())).toEqual([
      expect.stringContaining('not JSON'),
      expect.stringContaining('cannot be handled'),
    ]);
    const records = db.collection<{ _id: string }>('processed_events');
    expect(await records.findOne({ _id: refused.id })).toBeNull();
    expect(await records.findOne({ _id: after.id })).not.toBeNull();
    await dead.stop();
  });

  it('when a handler takes batches, then a chunk comes in few calls, each event is stored once, and a refused event is dead-lettered alone', async () => {
    const batchGroup = `${groupId}-batch`;
    await startAtEnd(batchGroup, [TOPIC]);
    const dead = await readTopic(contracts.deadLetterTopic);
    // A database of its own: the other consumer of this file records the same events in `db`.
    const own = await connectMongo(`${MONGO_BASE}/${name}-batch`);
    const store = own.collection<{ _id: string; userId: string }>('batched_effects');
    const calls: number[] = [];
    const refused = issued(randomUUID(), 1);
    const batched = new EventConsumer({
      kafka,
      contracts,
      publisher,
      db: own,
      groupId: batchGroup,
      logger,
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10, factor: 1, jitter: 0 },
      handlers: {
        [TYPE]: batchedHandler(async (events) => {
          calls.push(events.length);
          if (events.some((e) => e.id === refused.id))
            throw new EventContractError('this one cannot be handled');
          await insertAllNew(
            store,
            events.map((e) => ({ _id: e.id, userId: (e.data as { userId: string }).userId })),
          );
        }),
      },
    });
    await batched.start();
    try {
      await eventually(async () => batched.ready || undefined, 30_000);
      const events = Array.from({ length: 300 }, (_, n) => issued(randomUUID(), n));
      const repeated = events[11] as EventEnvelope;
      const messages = [...events.slice(0, 150), refused, repeated, ...events.slice(150), repeated].map(
        (event) => ({ key: (event.data as { userId: string }).userId, value: JSON.stringify(event) }),
      );
      await producer.send({ topic: TOPIC, messages });
      const ids = events.map((e) => e.id);
      const storedCount = () => store.countDocuments({ _id: { $in: ids } });
      await eventually(async () => ((await storedCount()) >= events.length ? true : undefined), 60_000);
      const ours = () => dead.messages.filter((m) => m.headers?.['dlq-group']?.toString() === batchGroup);
      const letters = await eventually(async () => (ours().length >= 1 ? ours() : undefined), 30_000);
      await new Promise((r) => setTimeout(r, 500)); // a second letter or a repeat would land now
      expect(await storedCount()).toBe(events.length);
      expect(await store.findOne({ _id: refused.id })).toBeNull();
      expect(ours()).toHaveLength(1);
      expect(JSON.parse(letters[0]?.value?.toString() ?? '{}')).toMatchObject({ id: refused.id });
      // Chunks came whole: a call carried many events (the refused event's chunk was then retried
      // one event per call, which isolated it).
      expect(Math.max(...calls)).toBeGreaterThan(20);
      // Batch handlers write their own idempotent record; the consumer records nothing for them.
      expect(await own.collection('processed_events').countDocuments()).toBe(0);
    } finally {
      await batched.stop();
      await dead.stop();
      await own.close();
      await dropDatabases([`${name}-batch`]);
    }
  });
});
