import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  createEvent,
  createLogger,
  ensureTopics,
  EventContracts,
  type EventEnvelope,
  type RunningService,
} from '@concierge/kit';
import {
  ADMIN,
  createOrg,
  eventually,
  graphql,
  kafka,
  MONGO_BASE,
  usersConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { auditedTypes, recordEvents } from './audit.consumer';
import { auditModel } from './audit.model';
import { AuditRepository } from './audit.repository';
import { startServer } from '../server';

interface Node {
  id: string;
  time: string;
  actor: string;
  onBehalfOf: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: string | null;
  after: string | null;
  correlationId: string;
  source: string;
  recordedAt: string;
}
interface Page {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
type Filter = Partial<Record<'actor' | 'targetId' | 'targetType' | 'action' | 'from' | 'to', string>>;

const TRAIL = `query($filter: AuditFilter, $first: Int, $after: String) {
  auditTrail(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id time actor onBehalfOf action targetType targetId before after correlationId source recordedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const AUDIT_TOPIC = 'concierge.audit.v1';

describe('audit trail against the real database and broker', () => {
  const config = usersConfig();
  const contracts: EventContracts = new EventContracts();
  const run = randomUUID().slice(0, 8);
  let service: RunningService;
  let mongo: MongoClient;
  let producer: Producer;
  let org: string;

  beforeAll(async () => {
    await ensureTopics(kafka, contracts);
    await startAtEnd(config.groupId as string, [
      ...new Set(auditedTypes(contracts).map((t) => contracts.topicFor(t))),
    ]);
    service = await startServer(config);
    mongo = await new MongoClient(MONGO_BASE).connect();
    producer = kafka.producer();
    await producer.connect();
    org = await createOrg(service.url);
  });
  afterAll(async () => {
    await producer.disconnect();
    await service.stop();
    await mongo.db(new URL(config.mongoUri).pathname.slice(1)).dropDatabase();
    await mongo.close();
  });

  /** A correlation id of our choosing. */
  const correlation = (correlationId: string) => ({ 'x-correlation-id': correlationId });

  async function trail(filter: Filter, first = 50, after?: string): Promise<Page> {
    const res = await graphql<{ auditTrail: Page }>(service.url, TRAIL, { filter, first, after }, ADMIN);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.auditTrail;
  }

  /** Polls until the trail under `filter` holds `count` records (and no more). */
  function trailOf(filter: Filter, count: number): Promise<Node[]> {
    return eventually(async () => {
      const nodes = (await trail(filter)).edges.map((e) => e.node);
      if (nodes.length > count) throw new Error(`expected ${count} records, found ${nodes.length}`);
      return nodes.length === count ? nodes : undefined;
    });
  }

  /** An audit.recorded event as another service would publish it, checked against its contract. */
  function recorded(
    data: Record<string, unknown>,
    options: { actor?: string; onBehalfOf?: string; time?: Date } = {},
  ): EventEnvelope {
    const event = createEvent(
      '/concierge/access-requests',
      {
        type: 'audit.recorded',
        subject: data.targetId as string,
        data: { before: null, after: null, ...data },
        actor: options.actor ?? 'approver-1',
        correlationId: `corr-${randomUUID()}`,
        ...(options.onBehalfOf ? { onBehalfOf: options.onBehalfOf } : {}),
      },
      options.time,
    );
    contracts.validate(event);
    return event;
  }

  async function produce(...events: EventEnvelope[]): Promise<void> {
    await producer.send({
      topic: AUDIT_TOPIC,
      messages: events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
    });
  }

  const json = (text: string | null) =>
    text === null ? null : (JSON.parse(text) as Record<string, unknown>);

  it('when an administrator creates, updates and suspends a user, then the trail of that user lists the three changes newest first, with actor, correlation id, before and after', async () => {
    const created = await graphql<{ createUser: { id: string } }>(
      service.url,
      `
        mutation ($input: CreateUserInput!) {
          createUser(input: $input) {
            id
          }
        }
      `,
      { input: { organizationId: org, email: `audit-${run}@example.org`, displayName: 'Ada Lovelace' } },
      ADMIN,
      correlation(`corr-create-${run}`),
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createUser.id;
    const updated = await graphql(
      service.url,
      `
        mutation ($id: ID!) {
          updateUser(id: $id, input: { displayName: "Ada King" }) {
            id
          }
        }
      `,
      { id },
      ADMIN,
      correlation(`corr-update-${run}`),
    );
    expect(updated.errors).toBeUndefined();
    const suspended = await graphql(
      service.url,
      `
        mutation ($id: ID!) {
          suspendUser(id: $id) {
            id
          }
        }
      `,
      { id },
      ADMIN,
      correlation(`corr-suspend-${run}`),
    );
    expect(suspended.errors).toBeUndefined();

    const [suspend, update, create] = await trailOf({ targetId: id, targetType: 'user' }, 3);
    expect([suspend, update, create].map((n) => [n!.action, n!.correlationId])).toEqual([
      ['user.suspended', `corr-suspend-${run}`],
      ['user.updated', `corr-update-${run}`],
      ['user.created', `corr-create-${run}`],
    ]);
    for (const node of [suspend!, update!, create!]) {
      expect(node).toMatchObject({
        actor: ADMIN.userId,
        onBehalfOf: null,
        targetType: 'user',
        targetId: id,
        source: '/concierge/users',
      });
    }
    expect(Date.parse(suspend!.time)).toBeGreaterThanOrEqual(Date.parse(update!.time));
    expect(Date.parse(update!.time)).toBeGreaterThanOrEqual(Date.parse(create!.time));
    expect(json(create!.before)).toBeNull();
    expect(json(create!.after)).toMatchObject({ userId: id, displayName: 'Ada Lovelace', status: 'ACTIVE' });
    expect(json(update!.before)).toEqual({ displayName: 'Ada Lovelace' });
    expect(json(update!.after)).toEqual({ displayName: 'Ada King' });
    expect(json(suspend!.before)).toEqual({ status: 'ACTIVE' });
    expect(json(suspend!.after)).toMatchObject({ status: 'SUSPENDED', trigger: 'ON_DEMAND' });

    // The credential events of the same request land in the same trail, their secrets redacted.
    const [issued] = await trailOf({ targetId: id, action: 'credential.set-password-issued' }, 1);
    expect(issued).toMatchObject({ targetType: 'credential', correlationId: `corr-create-${run}` });
    expect(json(issued!.after)).toMatchObject({ userId: id, sealedToken: '[REDACTED]' });
  });

  it('when another service publishes audit.recorded, then it lands in the same trail with on whose behalf', async () => {
    const event = recorded(
      {
        action: 'grant.revoked',
        targetType: 'grant',
        targetId: `grant-${run}`,
        before: { status: 'ACTIVE', entitlement: 'crm:admin' },
        after: { status: 'REVOKED' },
      },
      { actor: 'deputy-7', onBehalfOf: 'approver-3' },
    );
    await produce(event);
    const [node] = await trailOf({ targetId: `grant-${run}` }, 1);
    expect(node).toEqual({
      id: event.id,
      time: event.time,
      actor: 'deputy-7',
      onBehalfOf: 'approver-3',
      action: 'grant.revoked',
      targetType: 'grant',
      targetId: `grant-${run}`,
      before: JSON.stringify({ status: 'ACTIVE', entitlement: 'crm:admin' }),
      after: JSON.stringify({ status: 'REVOKED' }),
      correlationId: event.correlationid,
      source: '/concierge/access-requests',
      recordedAt: expect.any(String),
    });
  });

  it('when the same event is delivered twice, then the trail holds it once', async () => {
    const target = `twice-${run}`;
    const event = recorded({ action: 'application.updated', targetType: 'application', targetId: target });
    // Same key, so the same partition: once the marker is recorded, both copies were handled.
    const marker = recorded({ action: 'application.deleted', targetType: 'application', targetId: target });
    await produce(event, event, marker);
    const nodes = await trailOf({ targetId: target }, 2);
    expect(nodes.map((n) => n.id).sort()).toEqual([event.id, marker.id].sort());

    // Even past the consumer's own deduplication, the store refuses a second record of an event.
    const handler = recordEvents(new AuditRepository(auditModel(service.runtime.db)));
    await handler(event, { logger: createLogger('test', 'silent') });
    expect(await auditModel(service.runtime.db).countDocuments({ targetId: target })).toBe(2);
  });

  it('when an event carries secret-looking fields, then they are stored redacted, however deep', async () => {
    const target = `token-${run}`;
    const secrets = [`clear-${run}-1`, `clear-${run}-2`, `clear-${run}-3`];
    const event = recorded({
      action: 'api-token.created',
      targetType: 'api-token',
      targetId: target,
      after: {
        tokenId: target,
        apiToken: secrets[0],
        connector: { url: 'https://scim.example.org', clientSecret: secrets[1] },
        accounts: [{ login: 'ada', password: secrets[2] }],
      },
    });
    await produce(event);
    const [node] = await trailOf({ targetId: target }, 1);
    expect(json(node!.after)).toEqual({
      tokenId: target,
      apiToken: '[REDACTED]',
      connector: { url: 'https://scim.example.org', clientSecret: '[REDACTED]' },
      accounts: [{ login: 'ada', password: '[REDACTED]' }],
    });
    const stored = await auditModel(service.runtime.db).findById(event.id).lean().exec();
    for (const secret of secrets) expect(JSON.stringify(stored)).not.toContain(secret);
  });

  describe('filters and pages', () => {
    const actor = `filter-actor-${run}`;
    const at = (iso: string) => new Date(iso);
    // Two share a time, so the cursor's tie-break on id matters.
    const seeds = [
      { action: 'grant.created', targetId: `g1-${run}`, time: at('2020-03-01T09:00:00Z') },
      { action: 'grant.revoked', targetId: `g1-${run}`, time: at('2020-03-02T09:00:00Z') },
      { action: 'grant.created', targetId: `g2-${run}`, time: at('2020-03-03T09:00:00Z') },
      { action: 'application.updated', targetId: `a1-${run}`, time: at('2020-03-03T09:00:00Z') },
      { action: 'grant.revoked', targetId: `g2-${run}`, time: at('2020-03-05T09:00:00Z') },
    ];
    let events: EventEnvelope[];

    beforeAll(async () => {
      events = seeds.map((s) =>
        recorded(
          { action: s.action, targetType: s.action.split('.')[0], targetId: s.targetId },
          { actor, time: s.time },
        ),
      );
      await produce(...events);
      await trailOf({ actor }, seeds.length);
    });

    /** Event ids newest first, ties by id descending: the order the trail promises. */
    const expected = (pick: (s: (typeof seeds)[number]) => boolean) =>
      seeds
        .map((s, i) => ({ ...s, id: events[i]!.id }))
        .filter(pick)
        .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1))
        .map((s) => s.id);
    const ids = (page: Page) => page.edges.map((e) => e.node.id);

    it('by actor, newest first', async () => {
      expect(ids(await trail({ actor }))).toEqual(expected(() => true));
    });

    it('by exact action and by action prefix', async () => {
      expect(ids(await trail({ actor, action: 'grant.revoked' }))).toEqual(
        expected((s) => s.action === 'grant.revoked'),
      );
      expect(ids(await trail({ actor, action: 'grant.' }))).toEqual(
        expected((s) => s.action.startsWith('grant.')),
      );
    });

    it('by target and by target type', async () => {
      expect(ids(await trail({ actor, targetId: `g1-${run}` }))).toEqual(
        expected((s) => s.targetId === `g1-${run}`),
      );
      expect(ids(await trail({ actor, targetType: 'application' }))).toEqual(
        expected((s) => s.action.startsWith('application.')),
      );
    });

    it('by time range: from inclusive, to exclusive', async () => {
      expect(ids(await trail({ actor, from: '2020-03-02T09:00:00Z', to: '2020-03-05T09:00:00Z' }))).toEqual(
        expected((s) => s.time >= at('2020-03-02T09:00:00Z') && s.time < at('2020-03-05T09:00:00Z')),
      );
      expect(ids(await trail({ actor, from: '2020-03-04' }))).toEqual(
        expected((s) => s.time >= at('2020-03-04')),
      );
    });

    it('when read two at a time, then every record is visited once, in order', async () => {
      const visited: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await trail({ actor }, 2, after);
        pages++;
        expect(page.edges.length).toBeLessThanOrEqual(2);
        visited.push(...ids(page));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor!;
      }
      expect(pages).toBe(3);
      expect(visited).toEqual(expected(() => true));
    });

    it('refuses bad filter values with BAD_USER_INPUT naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ filter: { from: 'last tuesday' } }, 'filter.from'],
        [{ filter: { from: '2020-03-05', to: '2020-03-01' } }, 'filter.to'],
        [{ filter: { action: 'grant*' } }, 'filter.action'],
        [{ first: 500 }, 'first'],
        [{ after: 'garbage' }, 'after'],
      ];
      for (const [variables, field] of cases) {
        const res = await graphql(service.url, TRAIL, variables, ADMIN);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
    });
  });

  it('refuses a non-administrator with FORBIDDEN and an anonymous caller with UNAUTHENTICATED', async () => {
    const user = await graphql(service.url, TRAIL, {}, { kind: 'user', userId: 'someone', roles: [] });
    expect(user.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(user.data).toBeNull();
    const anonymous = await graphql(service.url, TRAIL, {}, { kind: 'anonymous', roles: [] });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses to edit or delete a record through the model: the trail is append-only', async () => {
    const model = auditModel(service.runtime.db);
    await expect(model.updateOne({}, { $set: { actor: 'someone-else' } }).exec()).rejects.toThrow(
      /append-only/,
    );
    await expect(model.deleteMany({}).exec()).rejects.toThrow(/append-only/);
    await expect(model.findOneAndUpdate({}, { $set: { actor: 'x' } }).exec()).rejects.toThrow(/append-only/);
  });
});
