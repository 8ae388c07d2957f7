import { ADMIN, createOrg, eventually, graphql, readTopic } from '../../../../test/testkit';
import { usersService } from '../../../../test/testkit/users-service';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id title organization { code } manager { id } } }`;
const READ = `query($id: ID!) {
  user(id: $id) {
    id username email givenName familyName displayName title department employeeType externalId source
    organization { id code name kind parent { code } ancestors { code } }
    manager { id displayName }
    directReports { id }
    attributes { name type value }
    status
  }
}`;
const LIST = `query($filter: UserFilter, $first: Int, $after: String, $sort: UserSort) {
  users(filter: $filter, first: $first, after: $after, sort: $sort) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;
const MOVE_ORG = `mutation($id: ID!, $parentId: ID) { moveOrganization(id: $id, parentId: $parentId) { id parent { id } } }`;

type Err = { extensions?: { code?: string; field?: string; reason?: string } };
type Page = {
  users: {
    edges: { cursor: string; node: { id: string; displayName: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    totalCount: number;
  };
};

describe('organisations and the user directory (real database and broker)', () => {
  const svc = usersService();
  // hq ─ fin ─ payroll ; hq ─ it ; acme (partner)
  const org: Record<'hq' | 'fin' | 'payroll' | 'it' | 'acme', string> = {
    hq: '',
    fin: '',
    payroll: '',
    it: '',
    acme: '',
  };

  const create = async (input: Record<string, unknown>) => {
    const res = await graphql<{ createUser: { id: string } }>(svc.url(), CREATE, { input }, ADMIN);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.createUser.id;
  };
  const users = () => svc.db().collection('users');
  /** The stored users, without volatile fields, to prove a refused change changed nothing. */
  const snapshot = async () =>
    users()
      .find({}, { projection: { outbox: 0, outboxPending: 0 } })
      .sort({ _id: 1 })
      .toArray();

  beforeAll(async () => {
    org.hq = await createOrg(svc.url(), {
      code: 'hq',
      name: 'Headquarters',
      attributeDefinitions: [{ name: 'costCenter', type: 'STRING', required: true }],
    });
    org.fin = await createOrg(svc.url(), {
      code: 'FIN',
      name: 'Finance',
      parentId: org.hq,
      attributeDefinitions: [{ name: 'fte', type: 'NUMBER' }],
    });
    org.payroll = await createOrg(svc.url(), { code: 'PAYROLL', name: 'Payroll', parentId: org.fin });
    org.it = await createOrg(svc.url(), { code: 'IT', name: 'IT', parentId: org.hq });
    org.acme = await createOrg(svc.url(), { code: 'ACME', name: 'Acme Ltd', kind: 'PARTNER' });
  });

  it('when a user is created with a manager and typed attributes, then the profile reads back with organisation, manager and reports', async () => {
    const boss = await create({
      organizationId: org.fin,
      email: 'boss@example.org',
      givenName: 'Barbara',
      familyName: 'Liskov',
      attributes: [{ name: 'costCenter', value: 'CC-1' }],
    });
    const ada = await create({
      organizationId: org.payroll,
      email: 'Ada@Example.org',
      username: 'ADA',
      givenName: 'Ada',
      familyName: 'Lovelace',
      title: 'Analyst',
      department: 'Payroll',
      employeeType: 'CONTRACTOR',
      externalId: 'E-100',
      source: 'Workday',
      managerId: boss,
      attributes: [
        { name: 'costCenter', value: 'CC-2' },
        { name: 'fte', value: '0.8' },
      ],
    });
    const res = await graphql<{ user: Record<string, unknown> }>(svc.url(), READ, { id: ada }, ADMIN);
    expect(res.errors).toBeUndefined();
    expect(res.data!.user).toMatchObject({
      username: 'ada',
      email: 'ada@example.org',
      displayName: 'Ada Lovelace',
      employeeType: 'CONTRACTOR',
      externalId: 'E-100',
      source: 'workday',
      organization: {
        code: 'PAYROLL',
        kind: 'BUSINESS_UNIT',
        parent: { code: 'FIN' },
        ancestors: [{ code: 'FIN' }, { code: 'HQ' }],
      },
      manager: { id: boss, displayName: 'Barbara Liskov' },
      attributes: [
        { name: 'costCenter', type: 'STRING', value: 'CC-2' },
        { name: 'fte', type: 'NUMBER', value: '0.8' },
      ],
      status: 'ACTIVE',
    });
    const bossRead = await graphql<{ user: { directReports: { id: string }[] } }>(
      svc.url(),
      READ,
      { id: boss },
      ADMIN,
    );
    expect(bossRead.data!.user.directReports).toEqual([{ id: ada }]);
  });

  it('refuses bad input with a typed error on the field at fault, and stores nothing', async () => {
    const existing = await create({
      organizationId: org.it,
      email: 'taken@example.org',
      username: 'taken',
      displayName: 'Taken',
      externalId: 'X-1',
      attributes: [{ name: 'costCenter', value: 'C' }],
    });
    const base = {
      organizationId: org.it,
      email: 'fresh@example.org',
      displayName: 'Fresh',
      attributes: [{ name: 'costCenter', value: 'C' }],
    };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ organizationId: 'no-such-org' }, 'BAD_USER_INPUT', 'organizationId'],
      [{ managerId: 'no-such-user' }, 'BAD_USER_INPUT', 'managerId'],
      [
        {
          attributes: [
            { name: 'costCenter', value: 'C' },
            { name: 'shoeSize', value: '44' },
          ],
        },
        'BAD_USER_INPUT',
        'attributes.shoeSize',
      ],
      [
        {
          organizationId: org.fin,
          attributes: [
            { name: 'costCenter', value: 'C' },
            { name: 'fte', value: 'lots' },
          ],
        },
        'BAD_USER_INPUT',
        'attributes.fte',
      ],
      [{ attributes: [] }, 'BAD_USER_INPUT', 'attributes.costCenter'],
      [{ email: 'TAKEN@example.org' }, 'CONFLICT', 'email'],
      [{ username: 'Taken' }, 'CONFLICT', 'username'],
      [{ externalId: 'X-1' }, 'CONFLICT', 'externalId'],
      [{ displayName: 'x'.repeat(10_000) }, 'BAD_USER_INPUT', 'displayName'],
      [{ endDate: '2027-01-01', startDate: '2027-02-01' }, 'BAD_USER_INPUT', 'endDate'],
      // Impossible calendar dates are refused, not rolled over to another day.
      [{ startDate: '2026-02-30' }, 'BAD_USER_INPUT', 'startDate'],
      [{ endDate: '2027-04-31T00:00:00Z' }, 'BAD_USER_INPUT', 'endDate'],
    ];
    const before = await snapshot();
    for (const [change, code, field] of cases) {
      const res = await graphql(svc.url(), CREATE, { input: { ...base, ...change } }, ADMIN);
      expect({ change, error: res.errors?.[0]?.extensions }).toMatchObject({
        change,
        error: { code, field },
      });
    }
    expect(await snapshot()).toEqual(before);
    expect(existing).toBeTruthy();
  });

  it('refuses a manager cycle and leaves both users as they were', async () => {
    const top = await create({ organizationId: org.acme, email: 'top@example.org', displayName: 'Top' });
    const middle = await create({
      organizationId: org.acme,
      email: 'mid@example.org',
      displayName: 'Mid',
      managerId: top,
    });
    const bottom = await create({
      organizationId: org.acme,
      email: 'bot@example.org',
      displayName: 'Bot',
      managerId: middle,
    });
    const before = await snapshot();
    const res = await graphql(svc.url(), UPDATE, { id: top, input: { managerId: bottom } }, ADMIN);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'managerId',
      reason: 'USER.MANAGER_CYCLE',
    });
    const self = await graphql(svc.url(), UPDATE, { id: top, input: { managerId: top } }, ADMIN);
    expect(self.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'managerId',
      reason: 'USER.OWN_MANAGER',
    });
    expect(self.errors?.[0]?.message).toBe('A user cannot be their own manager');
    expect(await snapshot()).toEqual(before);
  });

  it('when a user changes organisation and title, then user.moved and user.updated carry before and after; an update that changes nothing emits nothing', async () => {
    const reader = await readTopic('concierge.user.v1');
    try {
      const id = await create({
        organizationId: org.it,
        email: 'mover@example.org',
        displayName: 'Mover',
        title: 'Engineer',
        attributes: [{ name: 'costCenter', value: 'C-9' }],
      });
      const res = await graphql<{ updateUser: { title: string; organization: { code: string } } }>(
        svc.url(),
        UPDATE,
        { id, input: { organizationId: org.fin, title: 'Controller' } },
        ADMIN,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.updateUser).toMatchObject({ title: 'Controller', organization: { code: 'FIN' } });
      const seqAfterMove = (await users().findOne({ _id: id as never }))?.outboxSeq as number;
      const again = await graphql(
        svc.url(),
        UPDATE,
        { id, input: { organizationId: org.fin, title: ' Controller ' } },
        ADMIN,
      );
      expect(again.errors).toBeUndefined();
      expect((await users().findOne({ _id: id as never }))?.outboxSeq).toBe(seqAfterMove);

      const events = await eventually(async () => {
        const mine = reader.values().filter((e) => e.subject === id);
        return mine.length >= 3 ? mine : undefined;
      });
      expect(events.map((e) => e.type)).toEqual(['user.created', 'user.updated', 'user.moved']);
      expect(events[1]!.data).toEqual({
        userId: id,
        changes: { title: { before: 'Engineer', after: 'Controller' } },
      });
      expect(events[2]!.data).toEqual({
        userId: id,
        before: { organizationId: org.it, managerId: null, employeeType: 'EMPLOYEE' },
        after: { organizationId: org.fin, managerId: null, employeeType: 'EMPLOYEE' },
      });
    } finally {
      await reader.stop();
    }
  });

  it('rehires a terminated user as a new start, and refuses to rehire anyone else with CONFLICT', async () => {
    const id = await create({
      organizationId: org.acme,
      email: 'returner@example.org',
      displayName: 'Returner',
    });
    const REHIRE = `mutation($id: ID!, $s: String!) { rehireUser(id: $id, startDate: $s) { status startDate } }`;
    const early = await graphql(svc.url(), REHIRE, { id, s: '2030-01-01' }, ADMIN);
    expect(early.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'USER.CANNOT_REHIRE_ACTIVE',
    });
    await graphql(
      svc.url(),
      `
        mutation ($id: ID!) {
          terminateUser(id: $id) {
            id
          }
        }
      `,
      { id },
      ADMIN,
    );
    const res = await graphql<{ rehireUser: { status: string; startDate: string } }>(
      svc.url(),
      REHIRE,
      { id, s: '2030-01-01' },
      ADMIN,
    );
    expect(res.data!.rehireUser).toEqual({ status: 'PENDING', startDate: '2030-01-01T00:00:00.000Z' });
  });

  it('moves an organisation with its subtree, and refuses a move under its own descendant', async () => {
    const inPayroll = await create({
      organizationId: org.payroll,
      email: 'payroll-clerk@example.org',
      displayName: 'Clerk',
      attributes: [{ name: 'costCenter', value: 'C' }],
    });
    const underIt = async () =>
      (
        await graphql<Page>(svc.url(), LIST, { filter: { organizationId: org.it }, first: 200 }, ADMIN)
      ).data!.users.edges.map((e) => e.node.id);
    expect(await underIt()).not.toContain(inPayroll);

    const moved = await graphql(svc.url(), MOVE_ORG, { id: org.payroll, parentId: org.it }, ADMIN);
    expect(moved.errors).toBeUndefined();
    expect(await underIt()).toContain(inPayroll);

    const cycle = await graphql(svc.url(), MOVE_ORG, { id: org.hq, parentId: org.payroll }, ADMIN);
    expect(cycle.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'parentId',
      reason: 'ORGANIZATION.MOVE_CYCLE',
    });
    const hq = await graphql<{ organization: { parent: null } }>(
      svc.url(),
      `
        query ($id: ID!) {
          organization(id: $id) {
            parent {
              id
            }
          }
        }
      `,
      { id: org.hq },
      ADMIN,
    );
    expect(hq.data!.organization.parent).toBeNull();

    const dup = await graphql(
      svc.url(),
      `
        mutation {
          createOrganization(input: { code: "fin", name: "Again", kind: BUSINESS_UNIT }) {
            id
          }
        }
      `,
      {},
      ADMIN,
    );
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'code' });
  });

  it('when a user is renamed or moved, then lists and searches find them at the new place only', async () => {
    const from = await createOrg(svc.url(), { code: 'LIST-A', name: 'List A', kind: 'PARTNER' });
    const to = await createOrg(svc.url(), { code: 'LIST-B', name: 'List B', kind: 'PARTNER' });
    const names = ['Émile Zola', 'bea Quist', 'Carl Olsen'];
    const ids: string[] = [];
    for (const [i, displayName] of names.entries()) {
      ids.push(
        await create({
          organizationId: from,
          email: `list-${i}@example.org`,
          displayName,
          employeeType: 'PARTNER',
        }),
      );
    }
    const list = async (filter: Record<string, unknown>) => {
      const res = await graphql<Page>(svc.url(), LIST, { filter, first: 10 }, ADMIN);
      return res.data!.users.edges.map((e) => e.node.displayName);
    };
    // Names sort without regard to case or accents.
    expect(await list({ organizationId: from })).toEqual(['bea Quist', 'Carl Olsen', 'Émile Zola']);
    const renamed = await graphql(
      svc.url(),
      UPDATE,
      { id: ids[0], input: { displayName: 'Aaron Zola' } },
      ADMIN,
    );
    expect(renamed.errors).toBeUndefined();
    const moved = await graphql(svc.url(), UPDATE, { id: ids[2], input: { organizationId: to } }, ADMIN);
    expect(moved.errors).toBeUndefined();
    expect(await list({ organizationId: from })).toEqual(['Aaron Zola', 'bea Quist']);
    expect(await list({ organizationId: to })).toEqual(['Carl Olsen']);
    expect(await list({ text: 'emile' })).toEqual([]);
    expect(await list({ text: 'aaro zol' })).toEqual(['Aaron Zola']);
    expect(await list({ organizationId: from, text: 'olsen' })).toEqual([]);
    const empty = await graphql(svc.url(), LIST, { filter: { text: ' @-! ' } }, ADMIN);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.text' });
  });

  it('pages through users with cursors: no row twice, none skipped, and filters combine', async () => {
    const partner = await createOrg(svc.url(), { code: 'PAGES', name: 'Paging partner', kind: 'PARTNER' });
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      ids.push(
        await create({
          organizationId: partner,
          email: `page-${i}@example.org`,
          displayName: `Page ${String(i).padStart(2, '0')}`,
          employeeType: i % 2 ? 'PARTNER' : 'SERVICE',
        }),
      );
    }
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: { data?: Page } = await graphql<Page>(
        svc.url(),
        LIST,
        { filter: { organizationId: partner }, first: 10, after },
        ADMIN,
      );
      const page = res.data!.users;
      expect(page.totalCount).toBe(23);
      seen.push(...page.edges.map((e) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids); // display names sort in creation order here
    // Text matches the start of words: "pag" finds every "Page"; the type filter keeps the odd ones.
    const partners = await graphql<Page>(
      svc.url(),
      LIST,
      { filter: { organizationId: partner, employeeType: ['PARTNER'], text: 'pag' }, first: 50 },
      ADMIN,
    );
    expect(partners.data!.users.edges.map((e) => e.node.displayName)).toEqual(
      Array.from({ length: 11 }, (_, k) => `Page ${String(2 * k + 1).padStart(2, '0')}`),
    );
    // A word of one or two characters must be a whole word: "1" is the e-mail page-1@ only.
    const one = await graphql<Page>(
      svc.url(),
      LIST,
      { filter: { organizationId: partner, text: 'PAGE-1' }, first: 50 },
      ADMIN,
    );
    expect(one.data!.users.edges.map((e) => e.node.displayName)).toEqual(['Page 01']);
    expect(one.data!.users.totalCount).toBe(1);
    const byEmail = await graphql<Page>(
      svc.url(),
      LIST,
      { filter: { organizationId: partner }, first: 2, sort: 'EMAIL' },
      ADMIN,
    );
    expect(byEmail.data!.users.edges.map((e) => e.node.displayName)).toEqual(['Page 00', 'Page 10']);

    const badCursor = await graphql(svc.url(), LIST, { first: 5, after: 'garbage' }, ADMIN);
    expect((badCursor.errors?.[0] as Err).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    const tooMany = await graphql(svc.url(), LIST, { first: 1000 }, ADMIN);
    expect((tooMany.errors?.[0] as Err).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('lets a user read their own profile with its organisation, and refuses them the directory and other organisations', async () => {
    const id = await create({ organizationId: org.acme, email: 'self@example.org', displayName: 'Self' });
    const self = { kind: 'user' as const, userId: id, roles: [] };
    const own = await graphql<{ user: { organization: { code: string } } }>(svc.url(), READ, { id }, self);
    expect(own.data!.user.organization.code).toBe('ACME');
    const list = await graphql(svc.url(), LIST, { first: 5 }, self);
    expect((list.errors?.[0] as Err).extensions?.code).toBe('FORBIDDEN');
    // Organisations a user may not read are left out of the list rather than refused.
    const orgs = await graphql<{ organizations: { id: string }[] }>(
      svc.url(),
      `
        {
          organizations {
            id
          }
        }
      `,
      {},
      self,
    );
    expect(orgs.errors).toBeUndefined();
    expect(orgs.data!.organizations).toEqual([{ id: org.acme }]);
    const write = await graphql(svc.url(), UPDATE, { id, input: { title: 'Self-promoted' } }, self);
    expect((write.errors?.[0] as Err).extensions?.code).toBe('FORBIDDEN');
  });
});
