import type { Connection } from 'mongoose';
import { connectMongo, type Principal, type RunningService } from '@concierge/kit';
import {
  dropDatabases,
  eventually,
  graphql,
  kafka,
  readTopic,
  serviceConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { directoryUserModel } from '../directory/directory-user.model';
import { DirectoryRepository } from '../directory/directory.repository';
import { userEvents, userId } from '../directory/user-events.fixtures';
import { startServer } from '../server';

const CREATE = `mutation($input: CreateDelegationInput!) { createDelegation(input: $input) { id status } }`;
const END = `mutation($id: ID!) { endDelegation(id: $id) { id status } }`;
const ONE = `query($id: ID!) { delegation(id: $id) { id status endedBy } }`;
const GIVEN = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { delegations(direction: GIVEN) { id } } } }`;

interface Published {
  id: string;
  type: string;
  subject: string;
  actor: string;
  data: Record<string, unknown>;
}

const as = (id: string): Principal => ({ kind: 'user', userId: id, roles: [] });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('expiry of delegations at their end date (real broker and database, two replicas)', () => {
  const config = { ...serviceConfig('delegation'), schedulerIntervalMs: 250 };
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const producer = kafka.producer();
  const users = userEvents(producer);
  let a: RunningService;
  let b: RunningService; // a second replica on the same database, with its own scheduler
  let reader: Awaited<ReturnType<typeof readTopic>>;
  let db: Connection;
  const ada = userId('ada');
  const bob = userId('bob');

  beforeAll(async () => {
    reader = await readTopic('concierge.delegation.v1');
    // Each replica reads the user topic in a group of its own here, so that both projections are
    // complete at once; writing the same values twice is what the projection is made for.
    await startAtEnd(config.groupId as string);
    await startAtEnd(`${config.groupId}-b`);
    [a, b] = await Promise.all([
      startServer(config),
      startServer({ ...config, groupId: `${config.groupId}-b` }),
    ]);
    db = await connectMongo(config.mongoUri);
    await producer.connect();
    await users.created({ id: ada, displayName: 'Ada' });
    await users.created({ id: bob, displayName: 'Bob' });
    const directory = new DirectoryRepository(directoryUserModel(db));
    await eventually(async () => (await directory.findByIds([ada, bob])).length === 2);
  });
  afterAll(async () => {
    await producer.disconnect();
    await reader.stop();
    await Promise.all([a.stop(), b.stop()]);
    await db.close();
    await dropDatabases([dbName]);
  });

  const published = () => reader.values() as unknown as Published[];
  const eventsOf = (id: string, type: string) =>
    published().filter((e) => e.subject === id && e.type === type);
  const create = async (url: string, validTo: string) => {
    const res = await graphql<{ createDelegation: { id: string; status: string } }>(
      url,
      CREATE,
      { input: { deputyId: bob, scope: { kind: 'ALL' }, validTo, reason: 'A short errand' } },
      as(ada),
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createDelegation;
  };

  it('when validTo passes, then each delegation expires by itself and delegation.expired is published exactly once, though both replicas sweep', async () => {
    const made: { id: string; status: string }[] = [];
    for (let i = 0; i < 6; i++) made.push(await create(i % 2 ? a.url : b.url, inSeconds(3)));
    expect(made.every((d) => d.status === 'ACTIVE')).toBe(true);

    for (const d of made)
      await eventually(async () => eventsOf(d.id, 'delegation.expired').length > 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // room for a second expiry to show up
    for (const d of made) {
      // Delivery is at least once (both relays may send one record's events; consumers skip the
      // repeat by id), so count distinct events: one expiry per delegation.
      const expired = eventsOf(d.id, 'delegation.expired');
      expect(new Set(expired.map((e) => e.id)).size).toBe(1);
      expect(expired[0]).toMatchObject({ actor: 'system:delegation' });
      expect(expired[0]?.data).toMatchObject({ delegationId: d.id, delegatorId: ada, deputyId: bob });
      const state = await graphql<{ delegation: { status: string; endedBy: string | null } }>(
        a.url,
        ONE,
        { id: d.id },
        as(ada),
      );
      expect(state.data?.delegation).toEqual({ id: d.id, status: 'EXPIRED', endedBy: null });
      // One version for the creation, one for the expiry.
      expect((await db.collection('delegations').findOne({ _id: d.id as never }))?.version).toBe(2);
    }
    // Expired ones leave the default list.
    const listed = await graphql<{ _entities: { delegations: { id: string }[] }[] }>(
      a.url,
      GIVEN,
      { r: [{ __typename: 'User', id: ada }] },
      as(ada),
    );
    expect(listed.data!._entities[0]!.delegations.map((d) => d.id)).not.toContain(made[0]!.id);
  });

  it('when a delegation was ended before its end date, then it does not expire as well', async () => {
    const d = await create(a.url, inSeconds(2));
    const ended = await graphql<{ endDelegation: { status: string } }>(b.url, END, { id: d.id }, as(ada));
    expect(ended.data?.endDelegation.status).toBe('ENDED');
    await eventually(async () => eventsOf(d.id, 'delegation.ended').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past validTo, several sweeps
    expect(eventsOf(d.id, 'delegation.expired')).toEqual([]);
    const state = await graphql<{ delegation: { status: string } }>(a.url, ONE, { id: d.id }, as(ada));
    expect(state.data?.delegation?.status).toBe('ENDED');
  });
});
