import { randomBytes, randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createEvent, ensureTopics, EventContracts, sealFor, type RunningService } from '@concierge/kit';
import {
  ADMIN,
  eventually,
  graphql,
  kafka,
  MONGO_BASE,
  readTopic,
  SEAL_KEY,
  serviceConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { startServer } from '../server';

const TOPIC = 'concierge.credential.v1';
const INBOX = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { kind title body } } } }`;

function setPasswordIssued(userId: string, sealedToken: string, purpose = 'ACTIVATION') {
  return createEvent('/concierge/users', {
    type: 'credential.set-password-issued',
    subject: userId,
    data: {
      userId,
      email: `${userId}@example.org`,
      displayName: 'Grace Hopper',
      purpose,
      expiresAt: '2027-01-07T08:00:00.000Z',
      sealedToken,
    },
    actor: 'test',
    correlationId: randomUUID(),
  });
}

describe('set-password notifications (real broker and database)', () => {
  let service: RunningService;
  let mongo: MongoClient;
  let dbName: string;
  const producer = kafka.producer();
  const config = serviceConfig('notifications');

  beforeAll(async () => {
    await ensureTopics(kafka, new EventContracts());
    await startAtEnd(config.groupId as string, ['concierge.user.v1', TOPIC]);
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

  const stored = (userId: string) => mongo.db(dbName).collection('notifications').find({ userId }).toArray();
  const send = (key: string, value: unknown) =>
    producer.send({ topic: TOPIC, messages: [{ key, value: JSON.stringify(value) }] });

  it('when a set-password link is issued, then the user gets a SET_PASSWORD notification that keeps the token sealed and out of the graph', async () => {
    const userId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const sealedToken = sealFor(token, SEAL_KEY, userId);
    const event = setPasswordIssued(userId, sealedToken);
    await send(userId, event);
    await send(userId, event); // redelivered: still one notification

    const [doc, ...more] = await eventually(async () => {
      const docs = await stored(userId);
      return docs.length > 0 ? docs : undefined;
    });
    expect(more).toHaveLength(0);
    expect(doc).toMatchObject({ kind: 'SET_PASSWORD', title: 'Set your password', sealedToken });
    expect(doc?.body).toContain('expires at 2027-01-07T08:00:00.000Z');
    expect(JSON.stringify(doc)).not.toContain(token);

    const inbox = await graphql<{ _entities: { notifications: { kind: string; body: string }[] }[] }>(
      service.url,
      INBOX,
      { r: [{ __typename: 'User', id: userId }] },
      ADMIN,
    );
    expect(inbox.errors).toBeUndefined();
    expect(inbox.data?._entities[0]?.notifications).toEqual([
      { kind: 'SET_PASSWORD', title: 'Set your password', body: doc?.body },
    ]);
    const asked = await graphql(
      service.url,
      `
        query ($r: [_Any!]!) {
          _entities(representations: $r) {
            ... on User {
              notifications {
                sealedToken
              }
            }
          }
        }
      `,
      { r: [{ __typename: 'User', id: userId }] },
      ADMIN,
    );
    expect(asked.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('when the sealed token does not open with this service key or for this user, then the event is dead-lettered with its reason and nothing is stored', async () => {
    const dlq = await readTopic('concierge.dead-letter.v1');
    try {
      const otherKey: string = randomUUID();
      const wrongUser: string = randomUUID();
      const token = randomBytes(32).toString('base64url');
      await send(otherKey, setPasswordIssued(otherKey, sealFor(token, randomBytes(32), otherKey)));
      await send(wrongUser, setPasswordIssued(wrongUser, sealFor(token, SEAL_KEY, 'someone-else')));
      const dead = await eventually(async () => {
        const found = dlq.messages.filter(
          (m) =>
            [otherKey, wrongUser].includes(m.key?.toString() ?? '') &&
            m.headers?.['dlq-group']?.toString() === config.groupId,
        );
        return found.length === 2 ? found : undefined;
      });
      for (const message of dead) {
        expect(message.headers?.['dlq-reason']?.toString()).toMatch(/sealedToken cannot be opened/);
        expect(message.headers?.['dlq-attempts']?.toString()).toBe('1'); // not retried
        expect(message.headers?.['dlq-reason']?.toString()).not.toContain(token);
      }
      expect(await stored(otherKey)).toHaveLength(0);
      expect(await stored(wrongUser)).toHaveLength(0);
    } finally {
      await dlq.stop();
    }
  });
});
