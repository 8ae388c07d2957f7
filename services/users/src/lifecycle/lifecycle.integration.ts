import type { Connection } from 'mongoose';
import { connectMongo, createLogger, DueSweeper, EventContracts, type RunningService } from '@concierge/kit';
import { organizationModel } from '../organizations/organization.model';
import { OrganizationRepository } from '../organizations/organization.repository';
import { userModel } from '../directory/user.model';
import { UserRepository } from '../directory/user.repository';
import { createUser } from '../directory/create-user';
import { createOrganization } from '../organizations/create-organization';
import { runDueTransitions } from './run-due-transitions';
import {
  ADMIN,
  createOrg,
  dropDatabases,
  eventually,
  graphql,
  readTopic,
  usersConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { startServer } from '../server';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id status startDate endDate } }`;
const STATUS = `query($id: ID!) { user(id: $id) { status } }`;

describe('user lifecycle on start and end dates (real database and broker)', () => {
  const config = usersConfig({ schedulerIntervalMs: 250 });
  let a: RunningService;
  let b: RunningService; // a second replica on the same database, with its own scheduler
  let bStopped = false;
  let reader: Awaited<ReturnType<typeof readTopic>>;
  let org: string;

  beforeAll(async () => {
    reader = await readTopic('concierge.user.v1');
    await startAtEnd(config.groupId as string);
    a = await startServer(config);
    await startAtEnd(`${config.groupId}-b`);
    b = await startServer({ ...config, groupId: `${config.groupId}-b` });
    org = await createOrg(a.url);
  });
  afterAll(async () => {
    await reader.stop();
    await Promise.all([a.stop(), bStopped ? Promise.resolve() : b.stop()]);
    await dropDatabases([new URL(config.mongoUri).pathname.slice(1)]);
  });

  const statusOf = async (id: string) =>
    (await graphql<{ user: { status: string } }>(a.url, STATUS, { id }, ADMIN)).data?.user?.status;
  const eventsOf = (id: string, type: string) =>
    reader.values().filter((e) => e.subject === id && e.type === type) as {
      id: string;
      data: { trigger: string };
    }[];
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

  it('when the start date comes, then the pending user is activated; when the end date comes, terminated', async () => {
    const res = await graphql<{ createUser: { id: string; status: string } }>(
      a.url,
      CREATE,
      {
        input: {
          organizationId: org,
          email: 'joiner@example.org',
          displayName: 'Joiner',
          startDate: inSeconds(1.5),
          endDate: inSeconds(4),
        },
      },
      ADMIN,
    );
    expect(res.errors).toBeUndefined();
    const { id, status } = res.data!.createUser;
    expect(status).toBe('PENDING');

    await eventually(async () => (await statusOf(id)) === 'ACTIVE', 15_000);
    await eventually(async () => (await statusOf(id)) === 'TERMINATED', 15_000);
    await eventually(async () => eventsOf(id, 'user.terminated').length >= 1);
    const activated = eventsOf(id, 'user.activated');
    expect(new Set(activated.map((e) => e.id)).size).toBe(1); // one transition (delivered at least once)
    expect(activated[0]?.data.trigger).toBe('SCHEDULE');
  });

  it('when two replicas run the scheduler, then each due transition fires exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await graphql<{ createUser: { id: string } }>(
        i % 2 ? a.url : b.url,
        CREATE,
        {
          input: {
            organizationId: org,
            email: `batch-${i}@example.org`,
            displayName: `Batch ${i}`,
            startDate: inSeconds(1),
          },
        },
        ADMIN,
      );
      ids.push(res.data!.createUser.id);
    }
    for (const id of ids) await eventually(async () => eventsOf(id, 'user.activated').length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 2_000)); // room for a double fire to show up
    // Delivery is at least once (two relays may both send one outbox entry; consumers skip the
    // repeat by event id), so count distinct events: one activation per user.
    for (const id of ids) {
      const distinct = new Set(eventsOf(id, 'user.activated').map((e) => e.id));
      expect(distinct.size).toBe(1);
    }
    // The remaining tests need one replica only.
    await b.stop();
    bStopped = true;
  });

  it('refuses to activate a terminated user with CONFLICT naming its status, and changes nothing', async () => {
    const res = await graphql<{ createUser: { id: string } }>(
      a.url,
      CREATE,
      { input: { organizationId: org, email: 'leaver@example.org', displayName: 'Leaver' } },
      ADMIN,
    );
    const id = res.data!.createUser.id;
    const terminated = await graphql(
      a.url,
      `
        mutation ($id: ID!) {
          terminateUser(id: $id) {
            status
          }
        }
      `,
      { id },
      ADMIN,
    );
    expect(terminated.data).toEqual({ terminateUser: { status: 'TERMINATED' } });
    const again = await graphql(
      a.url,
      `
        mutation ($id: ID!) {
          activateUser(id: $id) {
            status
          }
        }
      `,
      { id },
      ADMIN,
    );
    expect(again.errors?.[0]?.message).toMatch(/TERMINATED/);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await statusOf(id)).toBe('TERMINATED');
  });

  it('refuses an end date before the start date on the endDate field and stores nothing', async () => {
    const res = await graphql(
      a.url,
      CREATE,
      {
        input: {
          organizationId: org,
          email: 'backwards@example.org',
          displayName: 'B',
          startDate: inSeconds(100),
          endDate: inSeconds(50),
        },
      },
      ADMIN,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endDate' });
    const retry = await graphql(
      a.url,
      CREATE,
      { input: { organizationId: org, email: 'backwards@example.org', displayName: 'B' } },
      ADMIN,
    );
    expect(retry.errors).toBeUndefined(); // the e-mail was not taken by the refused attempt
  });
});

describe('writes racing the outbox relay', () => {
  const config = usersConfig({ outboxPollMs: 20 });
  let service: RunningService;
  let org: string;
  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    org = await createOrg(service.url);
  });
  afterAll(async () => {
    await service.stop();
    await dropDatabases([new URL(config.mongoUri).pathname.slice(1)]);
  });

  it('when transitions land while the relay clears outboxes, then none of them is lost', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await graphql<{ createUser: { id: string } }>(
        service.url,
        CREATE,
        { input: { organizationId: org, email: `race-relay-${i}@example.org`, displayName: `R ${i}` } },
        ADMIN,
      );
      ids.push(res.data!.createUser.id);
    }
    // Each suspension kicks the relay, which clears other documents while the next ones are written.
    await Promise.all(
      ids.map((id) =>
        graphql(
          service.url,
          `
            mutation ($id: ID!) {
              suspendUser(id: $id) {
                status
              }
            }
          `,
          { id },
          ADMIN,
        ),
      ),
    );
    const users = service.runtime.db.collection('users');
    await eventually(async () => (await users.countDocuments({ outboxPending: true })) === 0);
    const statuses = await users
      .find({ _id: { $in: ids as never[] } }, { projection: { status: 1 } })
      .toArray();
    expect(statuses.map((u) => u.status)).toEqual(ids.map(() => 'SUSPENDED'));
  });
});

describe('scheduler claims due transitions atomically', () => {
  const config = usersConfig();
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  let connections: Connection[] = [];

  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await dropDatabases([dbName]);
  });

  it('when two schedulers read the same due users at the same moment, then each user is activated once', async () => {
    connections = await Promise.all([connectMongo(config.mongoUri), connectMongo(config.mongoUri)]);
    const contracts = new EventContracts();
    const [one, two] = connections.map((db) => new UserRepository(userModel(db))) as [
      UserRepository,
      UserRepository,
    ];
    await userModel(connections[0]!).init();
    const orgs = new OrganizationRepository(organizationModel(connections[0]!));
    const deps = { users: one, orgs, contracts, actor: 'test', correlationId: 'race' };
    const org = await createOrganization({ code: 'RACE', name: 'Race', kind: 'BUSINESS_UNIT' }, deps);
    const created = new Date(Date.now() - 60_000); // created a minute ago, starting 30 s ago
    for (let i = 0; i < 20; i++) {
      await createUser(
        {
          organizationId: org._id,
          email: `race-${i}@example.org`,
          displayName: `Race ${i}`,
          startDate: new Date(Date.now() - 30_000).toISOString(),
        },
        { ...deps, now: created },
      );
    }
    const logger = createLogger('test', 'silent');
    const sweeper = (db: Connection) => new DueSweeper({ name: 'race', db });
    const [firedA, firedB] = await Promise.all([
      runDueTransitions(new Date(), { users: one, contracts, logger, sweeper: sweeper(connections[0]!) }),
      runDueTransitions(new Date(), { users: two, contracts, logger, sweeper: sweeper(connections[1]!) }),
    ]);
    expect(firedA + firedB).toBe(20);
    const docs = await connections[0]!.collection('users').find({}).toArray();
    for (const doc of docs) {
      expect(doc.status).toBe('ACTIVE');
      const types = (doc.outbox as { type: string }[]).map((e) => e.type);
      expect(types.filter((t) => t === 'user.activated')).toHaveLength(1);
    }
  });
});
