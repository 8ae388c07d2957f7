import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createEvent, type RunningService } from '@concierge/kit';
import { eventually, kafka, MONGO_BASE, serviceConfig, startAtEnd } from '../../../../test/testkit';
import { startServer } from '../server';
import { produce } from './inbox-testkit.fixture';

function userCreated(userId: string) {
  return createEvent('/concierge/users', {
    type: 'user.created',
    subject: userId,
    data: { userId, email: `${userId}@example.org`, displayName: 'Test User', status: 'ACTIVE' as const },
    actor: 'test',
    correlationId: randomUUID(),
  });
}

describe('an inbox stored by the version with one notification per event (real broker and database)', () => {
  let service: RunningService;
  let mongo: MongoClient;
  const producer = kafka.producer();
  const config = serviceConfig('notifications');
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const grace = `grace-${randomUUID().slice(0, 8)}`;
  const welcome = userCreated(grace);
  const oldIds = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    mongo = await new MongoClient(MONGO_BASE).connect();
    // What the earlier version left: random ids, and a unique index on the source event.
    const legacy = mongo.db(dbName).collection<Record<string, unknown>>('notifications');
    await legacy.createIndex({ sourceEventId: 1 }, { unique: true });
    await legacy.createIndex({ userId: 1 });
    const common = { userId: grace, createdAt: new Date(welcome.time), readAt: null };
    await legacy.insertMany([
      {
        _id: oldIds[0],
        ...common,
        kind: 'WELCOME',
        title: 'Welcome',
        body: 'Hello',
        sourceEventId: welcome.id,
      },
      {
        _id: oldIds[1],
        ...common,
        kind: 'SET_PASSWORD',
        title: 'Set your password',
        body: 'Hello',
        sourceEventId: randomUUID(),
        sealedToken: 'v1.a.b.c',
      },
    ] as never[]);
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await service.stop();
    await mongo.db(dbName).dropDatabase();
    await mongo.close();
  });

  const stored = () => mongo.db(dbName).collection('notifications').find({ userId: grace }).toArray();

  it('when the new version starts, then the unique index on the event goes, each notification takes its per-recipient id, and a redelivered old event adds nothing', async () => {
    const indexes = await mongo.db(dbName).collection('notifications').indexes();
    expect(indexes.map((i) => i.name)).not.toContain('sourceEventId_1');
    expect(indexes.map((i) => i.name)).toContain('userId_1');

    const docs = await stored();
    expect(docs).toHaveLength(2);
    for (const doc of docs) expect(doc._id).toBe(`${doc.sourceEventId}:${grace}`);
    expect(docs.map((d) => String(d._id))).not.toEqual(expect.arrayContaining(oldIds));
    expect(docs.find((d) => d.kind === 'SET_PASSWORD')?.sealedToken).toBe('v1.a.b.c');
    expect(await mongo.db(dbName).collection('migrations').countDocuments()).toBe(1);

    // The old welcome's event again, then a marker on the same key (partition) to know it was read.
    const marker = userCreated(grace);
    await produce(producer, welcome, marker);
    await eventually(async () => (await stored()).some((d) => d.sourceEventId === marker.id));
    expect((await stored()).filter((d) => d.kind === 'WELCOME')).toHaveLength(2); // the old one and the marker's
    expect((await stored()).filter((d) => d.sourceEventId === welcome.id)).toHaveLength(1);
  });
});
