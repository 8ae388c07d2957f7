import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import {
  createEvent,
  EventContracts,
  type EventEnvelope,
  type Principal,
  type RunningService,
} from '@concierge/kit';
import { startServer, type AccessRequestsConfig } from '@concierge/access-requests';
import {
  eventually,
  graphql,
  kafka,
  MONGO_BASE,
  readTopic,
  serviceConfig,
  startAtEnd,
  type GraphQLResponse,
} from './index';

/** A person of the directory the users service would have told the access-requests service about. */
export interface Person {
  id: string;
  name?: string;
  org: string;
  manager?: string | null;
  status?: 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
  type?: 'EMPLOYEE' | 'CONTRACTOR' | 'PARTNER' | 'SERVICE';
  roles?: string[];
}

const TOPICS = ['concierge.access-request.v1', 'concierge.grant.v1', 'concierge.application.v1'];

/** The config of an access-requests service for tests: fresh database and group, a fast scheduler. */
export function accessRequestsConfig(overrides: Partial<AccessRequestsConfig> = {}): AccessRequestsConfig {
  return { ...serviceConfig('access-requests'), schedulerIntervalMs: 200, ...overrides };
}

/**
 * An access-requests service for one test file, against the real database and broker: started in
 * beforeAll on a fresh database and consumer group (offsets at the end, so it sees this file's
 * messages only), with a reader of the topics it publishes; stopped and dropped in afterAll. The
 * directory it routes approvals with is seeded by publishing the users service's events.
 */
export function accessRequestsService(overrides: Partial<AccessRequestsConfig> = {}) {
  const config = accessRequestsConfig(overrides);
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const contracts: EventContracts = new EventContracts();
  const producer = kafka.producer();
  const replicas: RunningService[] = [];
  let service: RunningService | undefined;
  let mongo: MongoClient | undefined;
  let readers: Awaited<ReturnType<typeof readTopic>>[] = [];

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    readers = await Promise.all(TOPICS.map((t) => readTopic(t)));
    service = await startServer(config);
    mongo = await new MongoClient(MONGO_BASE).connect();
    await producer.connect();
  });
  afterAll(async () => {
    await Promise.all([service, ...replicas].map((s) => s?.stop()));
    await Promise.all(readers.map((r) => r.stop()));
    await producer.disconnect();
    await mongo?.db(dbName).dropDatabase();
    await mongo?.close();
  });

  const running = () => {
    if (!service) throw new Error('the access-requests fixture is used before its beforeAll ran');
    return service;
  };

  /** Publishes an event of the catalogue to its topic, keyed by its subject, as its owner would. */
  async function publish(
    type: string,
    subject: string,
    data: Record<string, unknown>,
    actor = 'test',
  ): Promise<EventEnvelope> {
    const event = createEvent('/test', { type, subject, data, actor, correlationId: randomUUID() });
    contracts.validate(event);
    await producer.send({
      topic: contracts.topicFor(type),
      messages: [{ key: subject, value: JSON.stringify(event) }],
    });
    return event;
  }

  const db = (): Db => {
    if (!mongo) throw new Error('not started');
    return mongo.db(dbName);
  };

  return {
    config,
    dbName,
    service: running,
    url: () => running().url,
    db,
    publish,
    /** The events this service published since the fixture started, parsed. */
    events(): EventEnvelope[] {
      return readers.flatMap((r) => r.values() as unknown as EventEnvelope[]);
    },
    /** The events of one type about one subject (or whose data names it as requestId/grantId). */
    eventsOf(type: string, id: string): EventEnvelope[] {
      return this.events().filter(
        (e) => e.type === type && (e.subject === id || e.data.requestId === id || e.data.grantId === id),
      );
    },
    as: (userId: string, roles: string[] = []): Principal => ({ kind: 'user', userId, roles }),
    call<T = Record<string, unknown>>(
      query: string,
      variables: Record<string, unknown>,
      principal: Principal,
    ) {
      return graphql<T>(running().url, query, variables, principal) as Promise<GraphQLResponse<T>>;
    },
    /** Tells the service about organisations (parents first), and waits until it knows them. */
    async seedOrgs(orgs: { id: string; parentId?: string | null }[]): Promise<void> {
      for (const o of orgs)
        await publish('organization.created', o.id, {
          organizationId: o.id,
          code: o.id.toUpperCase(),
          name: o.id,
          kind: 'BUSINESS_UNIT',
          parentId: o.parentId ?? null,
        });
      const collection = db().collection('directory_organizations');
      await eventually(async () => (await collection.countDocuments({})) >= orgs.length || undefined, 30_000);
    },
    /** Tells the service about people (managers first), their status and roles, and waits until it knows them. */
    async seedPeople(people: Person[]): Promise<void> {
      for (const p of people) {
        await publish('user.created', p.id, {
          userId: p.id,
          email: `${p.id}@example.org`,
          displayName: p.name ?? p.id,
          status: p.status === 'ACTIVE' || !p.status ? 'ACTIVE' : 'PENDING',
          organizationId: p.org,
          managerId: p.manager ?? null,
          employeeType: p.type ?? 'EMPLOYEE',
        });
        if (p.status === 'SUSPENDED' || p.status === 'TERMINATED') {
          await publish(p.status === 'SUSPENDED' ? 'user.suspended' : 'user.terminated', p.id, {
            userId: p.id,
            status: p.status,
            previousStatus: 'ACTIVE',
            trigger: 'ON_DEMAND',
          });
        }
        if (p.roles?.length)
          await publish('audit.recorded', p.id, {
            action: 'user.role-granted',
            targetType: 'user',
            targetId: p.id,
            before: { globalRoles: [] },
            after: { globalRoles: p.roles },
          });
      }
      const users = db().collection<{ _id: string; status: string }>('directory_users');
      await eventually(async () => {
        for (const p of people) {
          const row = await users.findOne({ _id: p.id });
          if (row?.status !== (p.status ?? 'ACTIVE')) return undefined;
        }
        return true;
      }, 30_000);
    },
    /** A second replica on the same database, with its own consumer group and scheduler. */
    async replica(): Promise<RunningService> {
      const groupId = `${config.groupId}-r${replicas.length + 1}`;
      await startAtEnd(groupId);
      const replica = await startServer({ ...config, groupId });
      replicas.push(replica);
      return replica;
    },
    /** Restarts the main instance (e.g. after stopping it while a deadline passed). */
    async restart(stop: (s: RunningService) => Promise<void> = (s) => s.stop()): Promise<void> {
      await stop(running());
      service = await startServer(config);
    },
    stopped: async () => {
      await running().stop();
      service = undefined;
    },
    start: async () => {
      service = await startServer(config);
    },
  };
}
