import type { Connection } from 'mongoose';
import { connectMongo, type Principal, type RunningService } from '@concierge/kit';
import {
  ADMIN,
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

const FIELDS = `id status validFrom validTo reason allowFurtherDelegation createdBy endedBy endedAt endReason
  delegator { id } deputy { id } scope { kind applications { id } }`;
const CREATE = `mutation($input: CreateDelegationInput!) { createDelegation(input: $input) { ${FIELDS} } }`;
const END = `mutation($id: ID!, $reason: String) { endDelegation(id: $id, reason: $reason) { ${FIELDS} } }`;
const ONE = `query($id: ID!) { delegation(id: $id) { ${FIELDS} } }`;
const OF_USERS = `query($r: [_Any!]!, $direction: DelegationDirection, $includeEnded: Boolean) {
  _entities(representations: $r) {
    ... on User { id delegations(direction: $direction, includeEnded: $includeEnded) { id status delegator { id } deputy { id } } }
  }
}`;

interface DelegationView {
  id: string;
  status: string;
  validFrom: string;
  validTo: string;
  reason: string;
  allowFurtherDelegation: boolean;
  createdBy: string;
  endedBy: string | null;
  endedAt: string | null;
  endReason: string | null;
  delegator: { id: string };
  deputy: { id: string };
  scope: { kind: string; applications: { id: string }[] };
}
type Listed = Pick<DelegationView, 'id' | 'status' | 'delegator' | 'deputy'>;
interface Published {
  id: string;
  type: string;
  subject: string;
  actor: string;
  data: Record<string, unknown>;
}

const as = (id: string): Principal => ({ kind: 'user', userId: id, roles: [] });
const ANONYMOUS: Principal = { kind: 'anonymous', roles: [] };
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('deputies: delegations of approval rights (real broker and database)', () => {
  const config = { ...serviceConfig('delegation'), schedulerIntervalMs: 250 };
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const producer = kafka.producer();
  const users = userEvents(producer);
  let service: RunningService;
  let reader: Awaited<ReturnType<typeof readTopic>>;
  let db: Connection;

  // The people, with fresh ids: the broker is shared by every run.
  const ceo = userId('ceo');
  const mia = userId('mia'); // Ada's manager; the CEO is hers
  const ada = userId('ada');
  const bob = userId('bob');
  const carol = userId('carol');
  const dan = userId('dan');
  const pat = userId('pat'); // PENDING
  const sue = userId('sue'); // SUSPENDED
  const tom = userId('tom'); // TERMINATED
  const eve = userId('eve'); // a stranger to Ada
  const leo = userId('leo'); // leaves during the tests

  beforeAll(async () => {
    reader = await readTopic('concierge.delegation.v1');
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    db = await connectMongo(config.mongoUri);
    await producer.connect();
    await users.created({ id: ceo, displayName: 'Chief' });
    await users.created({ id: mia, displayName: 'Mia', managerId: ceo });
    await users.created({ id: ada, displayName: 'Ada Lovelace', managerId: mia });
    for (const [id, name] of [
      [bob, 'Bob'],
      [carol, 'Carol'],
      [dan, 'Dan'],
      [sue, 'Sue'],
      [tom, 'Tom'],
      [eve, 'Eve'],
      [leo, 'Leo'],
    ] as const)
      await users.created({ id, displayName: name });
    await users.created({ id: pat, displayName: 'Pat', status: 'PENDING' });
    await users.status(sue, 'suspended', 'SUSPENDED', 'ACTIVE');
    await users.status(tom, 'terminated', 'TERMINATED', 'ACTIVE');
    const directory = new DirectoryRepository(directoryUserModel(db));
    await eventually(async () => {
      const known = await directory.findByIds([ceo, mia, ada, bob, carol, dan, pat, eve, leo]);
      const [s, t] = await Promise.all([directory.findById(sue), directory.findById(tom)]);
      return known.length === 9 && s?.status === 'SUSPENDED' && t?.status === 'TERMINATED';
    }, 30_000);
  });
  afterAll(async () => {
    await producer.disconnect();
    await reader.stop();
    await service.stop();
    await db.close();
    await dropDatabases([dbName]);
  });

  const create = (principal: Principal, input: Record<string, unknown>) =>
    graphql<{ createDelegation: DelegationView }>(service.url, CREATE, { input }, principal);
  const end = (principal: Principal, id: string, reason?: string) =>
    graphql<{ endDelegation: DelegationView }>(service.url, END, { id, reason }, principal);
  const one = (principal: Principal, id: string) =>
    graphql<{ delegation: DelegationView | null }>(service.url, ONE, { id }, principal);
  const ofUsers = (principal: Principal, ids: string[], args: Record<string, unknown> = {}) =>
    graphql<{ _entities: { id: string; delegations: Listed[] }[] }>(
      service.url,
      OF_USERS,
      { r: ids.map((id) => ({ __typename: 'User', id })), ...args },
      principal,
    );
  /** Creates a delegation that must be accepted, and returns it. */
  const made = async (principal: Principal, input: Record<string, unknown>) => {
    const res = await create(principal, {
      scope: { kind: 'ALL' },
      validTo: inHours(24),
      reason: 'Cover',
      ...input,
    });
    expect(res.errors).toBeUndefined();
    return res.data!.createDelegation;
  };
  const published = () => reader.values() as unknown as Published[];
  const eventsOf = (id: string, type: string) =>
    published().filter((e) => e.subject === id && e.type === type);
  const stored = async () => ({
    current: await db.collection('delegations').countDocuments(),
    versions: await db.collection('delegations_versions').countDocuments(),
  });
  /**
   * Asserts that nothing was published since `before` events: one more creation goes out, and
   * only its event follows (with a moment's room for a stray one on another partition).
   */
  const nothingPublishedSince = async (before: number) => {
    const marker = await made(as(carol), { deputyId: dan, reason: 'Marker' });
    await eventually(async () => eventsOf(marker.id, 'delegation.created').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      published()
        .slice(before)
        .map((e) => e.subject),
    ).toEqual([marker.id]);
    return marker;
  };

  let adaToBob: DelegationView;
  let adaToCarol: DelegationView;

  it('when a user hands their approval rights to an active colleague, then it is ACTIVE and delegation.created is published', async () => {
    const validTo = inHours(24 * 7);
    const res = await create(as(ada), {
      deputyId: bob,
      scope: { kind: 'APPLICATIONS', applicationIds: ['crm', 'erp', 'crm'] },
      validTo,
      reason: ' Holiday ',
    });
    expect(res.errors).toBeUndefined();
    adaToBob = res.data!.createDelegation;
    expect(adaToBob).toMatchObject({
      status: 'ACTIVE',
      delegator: { id: ada },
      deputy: { id: bob },
      scope: { kind: 'APPLICATIONS', applications: [{ id: 'crm' }, { id: 'erp' }] },
      validTo: new Date(validTo).toISOString(),
      reason: 'Holiday',
      allowFurtherDelegation: false,
      createdBy: ada,
      endedBy: null,
      endedAt: null,
      endReason: null,
    });
    expect(Date.now() - Date.parse(adaToBob.validFrom)).toBeLessThan(10_000); // validFrom defaults to now

    const [event] = await eventually(async () => {
      const found = eventsOf(adaToBob.id, 'delegation.created');
      return found.length > 0 ? found : undefined;
    });
    expect(event).toMatchObject({ actor: ada, subject: adaToBob.id });
    expect(event?.data).toEqual({
      delegationId: adaToBob.id,
      delegatorId: ada,
      delegatorName: 'Ada Lovelace',
      deputyId: bob,
      scope: { kind: 'APPLICATIONS', applicationIds: ['crm', 'erp'] },
      validFrom: adaToBob.validFrom,
      validTo: adaToBob.validTo,
      reason: 'Holiday',
      allowFurtherDelegation: false,
    });
    // Keyed by the delegation, so its events stay in order.
    const message = reader.messages.find((m) => m.value?.toString().includes(`"id":"${event?.id}"`));
    expect(message?.key?.toString()).toBe(adaToBob.id);
  });

  it('when the period starts later, then the delegation is SCHEDULED until then', async () => {
    adaToCarol = await made(as(ada), {
      deputyId: carol,
      validFrom: inHours(24),
      validTo: inHours(48),
      allowFurtherDelegation: true,
    });
    expect(adaToCarol).toMatchObject({ status: 'SCHEDULED', allowFurtherDelegation: true });
  });

  it('shows one delegation to its delegator, deputy, managers and administrators, and to nobody else', async () => {
    for (const who of [as(ada), as(bob), as(mia), as(ceo), ADMIN]) {
      expect((await one(who, adaToBob.id)).data?.delegation?.id).toBe(adaToBob.id);
    }
    expect((await one(as(eve), adaToBob.id)).data).toEqual({ delegation: null });
    expect((await one(as(ada), 'no-such-delegation')).data).toEqual({ delegation: null });
  });

  it('refuses each broken rule with its typed error, and stores and publishes nothing', async () => {
    const before = { stored: await stored(), published: published().length };
    const ok = { deputyId: bob, scope: { kind: 'ALL' }, validTo: inHours(24), reason: 'Cover' };
    const cases: [string, Principal, Record<string, unknown>, Record<string, string>][] = [
      [
        'oneself',
        as(ada),
        { deputyId: ada },
        { code: 'BAD_USER_INPUT', field: 'deputyId', reason: 'DELEGATION.SELF' },
      ],
      [
        'a pending deputy',
        as(ada),
        { deputyId: pat },
        { code: 'CONFLICT', field: 'deputyId', reason: 'DELEGATION.DEPUTY_NOT_ACTIVE' },
      ],
      [
        'a suspended deputy',
        as(ada),
        { deputyId: sue },
        { code: 'CONFLICT', reason: 'DELEGATION.DEPUTY_NOT_ACTIVE' },
      ],
      [
        'a terminated deputy',
        as(ada),
        { deputyId: tom },
        { code: 'CONFLICT', reason: 'DELEGATION.DEPUTY_NOT_ACTIVE' },
      ],
      [
        'an unknown deputy',
        as(ada),
        { deputyId: userId('ghost') },
        { code: 'CONFLICT', reason: 'DELEGATION.DEPUTY_NOT_ACTIVE' },
      ],
      [
        'an unknown delegator',
        ADMIN,
        { delegatorId: userId('ghost') },
        { code: 'CONFLICT', field: 'delegatorId', reason: 'DELEGATION.DELEGATOR_UNKNOWN' },
      ],
      [
        'a terminated delegator',
        ADMIN,
        { delegatorId: tom },
        { code: 'CONFLICT', reason: 'DELEGATION.DELEGATOR_TERMINATED' },
      ],
      [
        'an end before the start',
        as(ada),
        { validFrom: inHours(48), validTo: inHours(24) },
        { code: 'BAD_USER_INPUT', field: 'validTo', reason: 'DELEGATION.PERIOD' },
      ],
      [
        'an end at the start',
        as(ada),
        { validFrom: '2099-01-01T00:00:00Z', validTo: '2099-01-01T00:00:00Z' },
        { code: 'BAD_USER_INPUT', reason: 'DELEGATION.PERIOD' },
      ],
      [
        'an end already past',
        as(ada),
        { validTo: inHours(-1) },
        { code: 'BAD_USER_INPUT', field: 'validTo', reason: 'DELEGATION.PERIOD' },
      ],
      [
        'a date that is none',
        as(ada),
        { validTo: 'next friday' },
        { code: 'BAD_USER_INPUT', field: 'validTo', reason: 'DELEGATION.BAD_DATE' },
      ],
      [
        'APPLICATIONS without ids',
        as(ada),
        { scope: { kind: 'APPLICATIONS' } },
        { code: 'BAD_USER_INPUT', field: 'scope.applicationIds', reason: 'DELEGATION.SCOPE' },
      ],
      [
        'APPLICATIONS with an empty list',
        as(ada),
        { scope: { kind: 'APPLICATIONS', applicationIds: [] } },
        { code: 'BAD_USER_INPUT', reason: 'DELEGATION.SCOPE' },
      ],
      [
        'ALL with ids',
        as(ada),
        { scope: { kind: 'ALL', applicationIds: ['crm'] } },
        { code: 'BAD_USER_INPUT', reason: 'DELEGATION.SCOPE' },
      ],
      [
        'a blank reason',
        as(ada),
        { reason: '  ' },
        { code: 'BAD_USER_INPUT', field: 'reason', reason: 'DELEGATION.NO_REASON' },
      ],
    ];
    for (const [what, principal, input, expected] of cases) {
      const res = await create(principal, { ...ok, ...input });
      expect({ what, data: res.data ?? null, extensions: res.errors?.[0]?.extensions }).toEqual({
        what,
        data: null,
        extensions: expect.objectContaining(expected),
      });
      expect(res.errors?.[0]?.message).toBeTruthy();
    }
    expect(await stored()).toEqual(before.stored);
    await nothingPublishedSince(before.published);
  });

  it('when a delegation would close a loop of deputies in the same period, then it is refused with DELEGATION.CYCLE; in another period it is allowed', async () => {
    // Ada → Bob (now, 7 days) exists; Bob hands on to Dan.
    await made(as(bob), { deputyId: dan, validTo: inHours(24 * 7) });
    const before = { stored: await stored(), published: published().length };

    const loop = await create(as(dan), {
      deputyId: ada,
      scope: { kind: 'ALL' },
      validTo: inHours(72),
      reason: 'Cover',
    });
    expect(loop.data).toBeNull();
    expect(loop.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DELEGATION.CYCLE' });
    // Through Bob or through Carol (both reach Dan in the period), whichever the walk meets first.
    expect(loop.errors?.[0]?.message).toMatch(new RegExp(`${dan} → ${ada} → (${bob}|${carol}) → ${dan}$`));
    // Through a delegation still to come: Ada → Carol from tomorrow, Carol → Ada overlapping it.
    const back = await create(as(carol), {
      deputyId: ada,
      scope: { kind: 'ALL' },
      validTo: inHours(30),
      reason: 'Cover',
    });
    expect(back.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DELEGATION.CYCLE' });
    expect(await stored()).toEqual(before.stored);
    await nothingPublishedSince(before.published);

    // After Ada → Bob and Ada → Carol have run out, Dan may hand over to Ada.
    const later = await made(as(dan), {
      deputyId: ada,
      validFrom: inHours(24 * 8),
      validTo: inHours(24 * 9),
    });
    expect(later.status).toBe('SCHEDULED');
  });

  it("lets the delegator's manager, their manager's manager and an administrator create it; a stranger or the deputy gets FORBIDDEN", async () => {
    const byManager = await made(as(mia), { delegatorId: ada, deputyId: dan, reason: 'Set up by Mia' });
    expect(byManager).toMatchObject({ delegator: { id: ada }, createdBy: mia });
    const byTop = await made(as(ceo), { delegatorId: ada, deputyId: dan });
    expect(byTop.createdBy).toBe(ceo);
    const byAdmin = await made(ADMIN, { delegatorId: ada, deputyId: bob });
    expect(byAdmin.createdBy).toBe(ADMIN.userId);

    const before = await stored();
    const input = {
      delegatorId: ada,
      deputyId: carol,
      scope: { kind: 'ALL' },
      validTo: inHours(24),
      reason: 'x',
    };
    for (const who of [as(eve), as(bob)]) {
      const res = await create(who, input);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // Nor may Ada act for her manager.
    const upwards = await create(as(ada), { ...input, delegatorId: mia });
    expect(upwards.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await create(ANONYMOUS, input);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await stored()).toEqual(before);
  });

  it('when the delegator ends a delegation, then it is ENDED and delegation.ended is published; ending it again is a CONFLICT', async () => {
    const res = await end(as(ada), adaToBob.id, 'Back early');
    expect(res.errors).toBeUndefined();
    expect(res.data!.endDelegation).toMatchObject({ status: 'ENDED', endedBy: ada, endReason: 'Back early' });
    expect(Date.now() - Date.parse(res.data!.endDelegation.endedAt!)).toBeLessThan(10_000);

    const [event] = await eventually(async () => {
      const found = eventsOf(adaToBob.id, 'delegation.ended');
      return found.length > 0 ? found : undefined;
    });
    expect(event).toMatchObject({ actor: ada });
    expect(event?.data).toEqual({
      delegationId: adaToBob.id,
      delegatorId: ada,
      delegatorName: 'Ada Lovelace',
      deputyId: bob,
      endedBy: ada,
      reason: 'Back early',
    });

    const again = await end(as(ada), adaToBob.id);
    expect(again.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'DELEGATION.ALREADY_ENDED',
    });
    expect(again.errors?.[0]?.message).toMatch(/ENDED/);
  });

  it('lets the deputy decline and a manager end one; a stranger gets FORBIDDEN and an unknown id NOT_FOUND', async () => {
    const declined = await end(as(carol), adaToCarol.id);
    expect(declined.data?.endDelegation).toMatchObject({ status: 'ENDED', endedBy: carol, endReason: null });
    await eventually(async () => eventsOf(adaToCarol.id, 'delegation.ended').length > 0);
    expect(eventsOf(adaToCarol.id, 'delegation.ended')[0]?.data).toMatchObject({
      endedBy: carol,
      reason: null,
    });

    const other = await made(as(ada), { deputyId: bob });
    const stranger = await end(as(eve), other.id);
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await one(as(ada), other.id)).data?.delegation?.status).toBe('ACTIVE');
    const byManager = await end(as(mia), other.id, 'Reorganised');
    expect(byManager.data?.endDelegation).toMatchObject({ status: 'ENDED', endedBy: mia });

    const missing = await end(as(ada), 'no-such-delegation');
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'DELEGATION.NOT_FOUND',
    });
  });

  it('lists User.delegations through _entities, given and received, live by default, to the user, their managers and administrators only', async () => {
    const given = await ofUsers(as(ada), [ada], { direction: 'GIVEN' });
    expect(given.errors).toBeUndefined();
    const live = given.data!._entities[0]!.delegations;
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((d) => d.delegator.id === ada && d.status === 'ACTIVE')).toBe(true);
    expect(live.map((d) => d.id)).not.toContain(adaToBob.id);

    const all = await ofUsers(as(ada), [ada], { direction: 'GIVEN', includeEnded: true });
    const withEnded = all.data!._entities[0]!.delegations;
    expect(withEnded.map((d) => d.id)).toEqual(expect.arrayContaining([adaToBob.id, adaToCarol.id]));
    expect(withEnded.length).toBe(live.length + 3); // Ada → Bob, Ada → Carol, and the one Mia ended

    const received = await ofUsers(as(bob), [bob], { direction: 'RECEIVED', includeEnded: true });
    const toBob = received.data!._entities[0]!.delegations;
    expect(toBob.every((d) => d.deputy.id === bob)).toBe(true);
    expect(toBob.map((d) => d.id)).toContain(adaToBob.id);

    // Both sides by default: Dan gave one (to Ada, scheduled) and received several.
    const dans = (await ofUsers(as(dan), [dan])).data!._entities[0]!.delegations;
    expect(dans.some((d) => d.delegator.id === dan && d.status === 'SCHEDULED')).toBe(true);
    expect(dans.some((d) => d.deputy.id === dan && d.delegator.id === bob)).toBe(true);

    // Managers, administrators, and several users in one request.
    for (const who of [as(mia), as(ceo)]) {
      const res = await ofUsers(who, [ada], { direction: 'GIVEN' });
      expect(res.data!._entities[0]!.delegations.map((d) => d.id).sort()).toEqual(
        live.map((d) => d.id).sort(),
      );
    }
    const both = await ofUsers(ADMIN, [ada, bob], { includeEnded: true });
    expect(both.data!._entities.map((u) => u.id)).toEqual([ada, bob]);

    // Anyone else reads none, as for a user without delegations: a denial says nothing.
    const stranger = await ofUsers(as(eve), [ada]);
    expect(stranger.errors).toBeUndefined();
    expect(stranger.data!._entities[0]!.delegations).toEqual([]);
    const deputyOnly = await ofUsers(as(bob), [ada]);
    expect(deputyOnly.data!._entities[0]!.delegations).toEqual([]);
  });

  it('when a user is terminated, then the delegations they gave and received end (system:delegation, USER_TERMINATED)', async () => {
    const given = await made(as(leo), { deputyId: bob });
    const received = await made(as(carol), { deputyId: leo, validFrom: inHours(2) });
    const unrelated = await made(as(carol), { deputyId: bob });
    await users.status(leo, 'terminated', 'TERMINATED', 'ACTIVE');

    for (const d of [given, received]) {
      await eventually(async () => (await one(ADMIN, d.id)).data?.delegation?.status === 'ENDED');
      expect((await one(ADMIN, d.id)).data?.delegation).toMatchObject({
        endedBy: 'system:delegation',
        endReason: 'USER_TERMINATED',
      });
      const [event] = await eventually(async () => {
        const found = eventsOf(d.id, 'delegation.ended');
        return found.length > 0 ? found : undefined;
      });
      expect(event).toMatchObject({ actor: 'system:delegation' });
      expect(event?.data).toMatchObject({ endedBy: 'system:delegation', reason: 'USER_TERMINATED' });
    }
    expect((await one(ADMIN, unrelated.id)).data?.delegation?.status).toBe('ACTIVE');
    const toLeaver = await create(as(carol), {
      deputyId: leo,
      scope: { kind: 'ALL' },
      validTo: inHours(5),
      reason: 'x',
    });
    expect(toLeaver.errors?.[0]?.extensions?.reason).toBe('DELEGATION.DEPUTY_NOT_ACTIVE');
  });
});
