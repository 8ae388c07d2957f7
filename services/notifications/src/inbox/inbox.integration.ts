import { randomUUID } from 'node:crypto';
import type { RunningService } from '@concierge/kit';
import {
  ADMIN,
  dropDatabases,
  eventually,
  graphql,
  kafka,
  serviceConfig,
  startAtEnd,
} from '../../../../test/testkit';
import { startServer } from '../server';
import {
  inboxPageOf,
  MY_NOTIFICATIONS,
  produce,
  userPrincipal,
  type InboxNode,
} from './inbox-testkit.fixture';
import { grantExpiring, grantFacts } from './sample-events.fixture';

const MARK_READ = `mutation ($id: ID!) { markNotificationRead(id: $id) { id readAt } }`;
const MARK_ALL = `mutation { markAllNotificationsRead }`;
const ANONYMOUS = { kind: 'anonymous' as const, roles: [] };

describe('the inbox through the graph (real broker and database)', () => {
  let service: RunningService;
  const producer = kafka.producer();
  const config = serviceConfig('notifications');
  const ursula = `ursula-${randomUUID().slice(0, 8)}`;
  const victor = `victor-${randomUUID().slice(0, 8)}`;
  /** Ursula's grants, oldest first: each expiring event is a minute after the one before. */
  const grants: string[] = [];

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    await producer.connect();
    const start = Date.UTC(2027, 0, 1, 8, 0);
    const events = Array.from({ length: 25 }, (_, i) => {
      const grant = grantFacts({ beneficiaryId: ursula });
      grants.push(grant.grantId);
      return grantExpiring(grant, new Date(start + i * 60_000));
    });
    events.push(
      grantExpiring(grantFacts({ beneficiaryId: victor })),
      grantExpiring(grantFacts({ beneficiaryId: victor })),
    );
    await produce(producer, ...events);
    await eventually(async () => {
      const [u, v] = await Promise.all([inboxPageOf(service.url, ursula), inboxPageOf(service.url, victor)]);
      return u.edges.length === 25 && v.edges.length === 2;
    });
  });
  afterAll(async () => {
    await producer.disconnect();
    const name = service.runtime.db.name;
    await service.stop();
    await dropDatabases([name]);
  });

  const ask = <T>(query: string, variables: Record<string, unknown>, userId: string) =>
    graphql<T>(service.url, query, variables, userPrincipal(userId));

  it('when the inbox is paged with cursors, then every notification shows once, newest first, with the unread count of all', async () => {
    const seen: InboxNode[] = [];
    const sizes: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await inboxPageOf(service.url, ursula, { first: 10, after });
      expect(page.unreadCount).toBe(25);
      sizes.push(page.edges.length);
      seen.push(...page.edges.map((e) => e.node));
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen.map((n) => n.link?.id)).toEqual([...grants].reverse());
    expect(new Set(seen.map((n) => n.id)).size).toBe(25);
  });

  it('when the owner marks a notification read, then it keeps its first readAt, and for anyone else it does not exist', async () => {
    const [newest] = (await inboxPageOf(service.url, ursula, { first: 1 })).edges;
    const id = newest?.node.id as string;
    const first = await ask<{ markNotificationRead: { id: string; readAt: string } }>(
      MARK_READ,
      { id },
      ursula,
    );
    expect(first.errors).toBeUndefined();
    const readAt = first.data?.markNotificationRead.readAt as string;
    expect(new Date(readAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const again = await ask<{ markNotificationRead: { readAt: string } }>(MARK_READ, { id }, ursula);
    expect(again.data?.markNotificationRead.readAt).toBe(readAt);

    const stranger = await ask(MARK_READ, { id }, victor);
    const missing = await ask(MARK_READ, { id: `${randomUUID()}:${victor}` }, victor);
    expect(stranger.data).toBeNull();
    expect(stranger.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', reason: 'NOTIFICATION.NOT_FOUND' });
    expect(missing.errors?.[0]?.extensions).toEqual(stranger.errors?.[0]?.extensions);
    // Asked by the administrator too: an inbox is its owner's alone.
    expect((await graphql(service.url, MARK_READ, { id }, ADMIN)).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );

    const unread = await inboxPageOf(service.url, ursula, { first: 100, unreadOnly: true });
    expect(unread.unreadCount).toBe(24);
    expect(unread.edges).toHaveLength(24);
    expect(unread.edges.map((e) => e.node.id)).not.toContain(id);
    expect((await inboxPageOf(service.url, ursula, { first: 1 })).edges[0]?.node).toMatchObject({
      id,
      readAt,
    });
  });

  it('when the owner marks all read, then it says how many it marked, and touches nobody else', async () => {
    const all = await ask<{ markAllNotificationsRead: number }>(MARK_ALL, {}, ursula);
    expect(all.data?.markAllNotificationsRead).toBe(24); // all but the one the test above marked
    const again = await ask<{ markAllNotificationsRead: number }>(MARK_ALL, {}, ursula);
    expect(again.data?.markAllNotificationsRead).toBe(0);
    const mine = await inboxPageOf(service.url, ursula, { first: 100, unreadOnly: true });
    expect(mine).toMatchObject({
      unreadCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
    expect((await inboxPageOf(service.url, victor)).unreadCount).toBe(2);
  });

  it('when the caller is anonymous or the page arguments are wrong, then the answer says so with a stable code', async () => {
    for (const query of [MY_NOTIFICATIONS, MARK_ALL]) {
      const res = await graphql(service.url, query, {}, ANONYMOUS);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const anonymousMark = await graphql(service.url, MARK_READ, { id: 'x' }, ANONYMOUS);
    expect(anonymousMark.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const first of [0, 101]) {
      const res = await ask(MY_NOTIFICATIONS, { first }, ursula);
      expect(res.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'first',
        reason: 'PAGE.BAD_SIZE',
      });
    }
    const cursor = await ask(MY_NOTIFICATIONS, { after: 'not-a-cursor' }, ursula);
    expect(cursor.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'after',
      reason: 'PAGE.BAD_CURSOR',
    });
  });

  it('when a user is read through the federation, then User.notifications still lists the latest few, for the user and administrators only', async () => {
    const query = `query ($r: [_Any!]!, $first: Int) { _entities(representations: $r) { ... on User { notifications(first: $first) { link { id } } } } }`;
    const variables = { r: [{ __typename: 'User', id: ursula }], first: 3 };
    type Entities = { _entities: { notifications: { link: { id: string } }[] }[] };
    for (const caller of [userPrincipal(ursula), ADMIN]) {
      const res = await graphql<Entities>(service.url, query, variables, caller);
      expect(res.data?._entities[0]?.notifications.map((n) => n.link.id)).toEqual(grants.slice(-3).reverse());
    }
    // Anyone else reads an empty inbox: a denial says nothing of the person.
    const other = await graphql<Entities>(service.url, query, variables, userPrincipal(victor));
    expect(other.errors).toBeUndefined();
    expect(other.data?._entities[0]?.notifications).toEqual([]);
  });
});
