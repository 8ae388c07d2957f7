import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createEvent, type RunningService } from '@concierge/kit';
import {
  eventually,
  kafka,
  MONGO_BASE,
  readTopic,
  serviceConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { startServer } from '../server';

const TOPIC = 'concierge.user.v1';

function userCreated(userId: string) {
  return createEvent('/concierge/users', {
    type: 'user.created',
    subject: userId,
    data: { userId, email: `${userId}@example.org`, displayName: 'Test User', status: 'ACTIVE' as const },
    actor: 'test',
    correlationId: randomUUID(),
  });
}

describe('notifications consumer against the real broker and database', () => {
  let service: RunningService;
  let mongo: MongoClient;
  let dbName: string;
  const producer = kafka.producer();
  const config = serviceConfig('notifications');

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    mongo = await new MongoClient(MONGO_BASE).connect();
    dbName = new URL(config.mongoUri).pathname.slice(1);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await service.stop();
    await mongo.db(dbName).dropDatabase();
    await mongo.close();
  });

  const inbox = (userId: string) => mongo.db(dbName).collection('notifications').countDocuments({ userId });
  const send = (key: string, value: string) => producer.send({ topic: TOPIC, messages: [{ key, value }] });

  it('when the same event is delivered twice, then the user gets one welcome notification', async () => {
    const userId = randomUUID();
    const event = JSON.stringify(userCreated(userId));
    await send(userId, event);
    await send(userId, event);
    await eventually(async () => (await inbox(userId)) === 1);
    // A later, different event for the same partition proves both copies were consumed by now.
    const marker = randomUUID();
    await send(userId, JSON.stringify(userCreated(marker)));
    await eventually(async () => (await inbox(marker)) === 1);
    expect(await inbox(userId)).toBe(1);
    // The notification is the record of the event: its source event id is unique.
    const byEvent = await mongo
      .db(dbName)
      .collection('notifications')
      .countDocuments({ sourceEventId: JSON.parse(event).id });
    expect(byEvent).toBe(1);
  });

  it('when a message is malformed, then it lands on the dead-letter topic with its reason and the partition moves on', async () => {
    const dlq = await readTopic('concierge.dead-letter.v1');
    try {
      const key = randomUUID();
      const badSchema = userCreated(key);
      (badSchema.data as { email: string }).email = 'not an e-mail';
      await send(key, '{ this is not json');
      await send(key, JSON.stringify(badSchema));
      await send(key, JSON.stringify(userCreated(key))); // same key, same partition, after the bad ones
      await eventually(async () => (await inbox(key)) === 1);

      const mine = await eventually(async () => {
        const found = dlq.messages.filter(
          (m) => m.key?.toString() === key && m.headers?.['dlq-group']?.toString() === config.groupId,
        );
        return found.length === 2 ? found : undefined;
      });
      const reasons = mine.map((m) => m.headers?.['dlq-reason']?.toString());
      expect(reasons[0]).toMatch(/not JSON/);
      expect(reasons[1]).toMatch(/data: \/email must match format "email"/);
      expect(mine[0]?.value?.toString()).toBe('{ this is not json'); // the original, unchanged
      expect(mine[0]?.headers?.['dlq-topic']?.toString()).toBe(TOPIC);
    } finally {
      await dlq.stop();
    }
  });
});
