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
import { EventConsumer } from './consumer';
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
});
