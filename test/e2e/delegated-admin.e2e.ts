import { bearerCaller, codeOf, createOrg, eventually, okData as ok, readTopic, reasonOf } from '../testkit';
import { startStack } from '../testkit/stack';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const UPDATE_USER = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`;
const SUSPEND = `mutation($id: ID!) { suspendUser(id: $id) { id status } }`;
const RESET = `mutation($id: ID!) { resetPassword(userId: $id) }`;
const USER = `query($id: ID!) { user(id: $id) { id displayName organization { id } } }`;
const USERS = `{ users(first: 50) { totalCount edges { node { id } } } }`;
const USERS_IN = `query($org: ID!) { users(first: 50, filter: { organizationId: $org }) { totalCount edges { node { id } } } }`;
const ASSIGN = `mutation($input: AssignAdminRoleInput!) {
  assignAdminRole(input: $input) { id role status capabilities scope { kind id subtree } user { id } }
}`;
const REVOKE = `mutation($id: ID!) { revokeAdminRole(id: $id, reason: "Moved on") { id status revokedBy } }`;
const DEFINE = `mutation($name: String!, $caps: [String!]!) { defineAdminRole(name: $name, capabilities: $caps) { name capabilities builtIn } }`;
const ROLES_OF = `query($id: ID!) { user(id: $id) { id adminRoles(includeEnded: true) { role status scope { kind id } } } }`;
const AUDIT = `query($id: ID!) { auditTrail(filter: { targetId: $id }) { edges { node { action actor } } } }`;

type Assigned = { assignAdminRole: { id: string; role: string; status: string; capabilities: string[] } };

/**
 * Delegated administration through the gateway, on every real subgraph: a global administrator
 * makes someone USER_ADMIN of one part of the business; the gateway signs that person's live
 * grants into each call; the users service lets them manage that part and shows nothing else; they
 * pass on narrower rights but never wider ones; a revocation or the end of the period takes the
 * rights away at once.
 */
describe('delegated administration, end to end through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const org: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let admin = '';
  const adminId = `admin-${Date.now()}`;

  const call = <T>(query: string, variables: Record<string, unknown>, bearer: string) =>
    bearerCaller(stack.gateway.url)<T>(query, variables, bearer);

  async function person(key: string, orgKey: string) {
    const input = {
      organizationId: org[orgKey],
      email: `${key}.${Date.now()}@example.org`,
      displayName: key,
    };
    ids[key] = ok(await call<{ createUser: { id: string } }>(CREATE_USER, { input }, admin)).createUser.id;
    tokens[key] = await stack.token(ids[key] as string);
  }
  const orgUnder = (name: string, parentKey?: string, kind = 'BUSINESS_UNIT') =>
    createOrg(
      stack.gateway.url,
      { name, kind, ...(parentKey ? { parentId: org[parentKey] } : {}) },
      { authorization: `Bearer ${admin}` },
    );
  /** Assigns as `token`, retrying while the delegation service has not yet heard of the people or places. */
  const assign = (token: string, input: Record<string, unknown>) =>
    eventually(async () => {
      const res = await call<Assigned>(ASSIGN, { input }, token);
      if (reasonOf(res) === 'ADMIN_ROLE.ASSIGNEE' || reasonOf(res) === 'ADMIN_ROLE.SCOPE') return undefined;
      return res;
    });
  const visible = async (token: string, userId: string) =>
    (await call<{ user: { id: string } | null }>(USER, { id: userId }, token)).data?.user?.id ?? null;
  const listed = async (token: string) => {
    const res = ok(
      await call<{ users: { totalCount: number; edges: { node: { id: string } }[] } }>(USERS, {}, token),
    );
    return { total: res.users.totalCount, ids: res.users.edges.map((e) => e.node.id).sort() };
  };

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.token(adminId, ['admin']);
    // emea > sales; apac beside it; a partner organisation.
    org.emea = await orgUnder('EMEA');
    org.sales = await orgUnder('EMEA Sales', 'emea');
    org.apac = await orgUnder('APAC');
    org.acme = await orgUnder('Acme Ltd', undefined, 'PARTNER');
    await person('uma', 'emea'); // the user administrator of EMEA
    await person('sam', 'sales');
    await person('eve', 'emea');
    await person('pat', 'apac');
    await person('ann', 'acme');
  });
  afterAll(() => stack.stop());

  it('a USER_ADMIN of a subtree manages the users there and sees nobody else', async () => {
    const res = await assign(admin, {
      userId: ids.uma,
      role: 'USER_ADMIN',
      scope: { kind: 'ORGANIZATION', id: org.emea, subtree: true },
      reason: 'Runs EMEA',
    });
    const assigned = ok(res).assignAdminRole;
    expect(assigned).toMatchObject({ role: 'USER_ADMIN', status: 'ACTIVE' });
    expect(assigned.capabilities).toContain('user:update');
    expect(assigned.capabilities).not.toContain('audit:read');
    const uma = tokens.uma as string;

    // Reads: everyone in EMEA and below; outside it the user looks absent, not forbidden.
    expect(await visible(uma, ids.sam as string)).toBe(ids.sam);
    expect(await visible(uma, ids.eve as string)).toBe(ids.eve);
    expect(await visible(uma, ids.pat as string)).toBeNull();
    expect(await visible(uma, ids.ann as string)).toBeNull();
    // Lists are filtered inside the query: the page and the count hold the same people.
    const emeaPeople = [ids.uma, ids.sam, ids.eve].sort() as string[];
    expect(await listed(uma)).toEqual({ total: 3, ids: emeaPeople });
    const apacList = ok(
      await call<{ users: { totalCount: number; edges: unknown[] } }>(USERS_IN, { org: org.apac }, uma),
    );
    expect(apacList.users).toEqual({ totalCount: 0, edges: [] });

    // Writes inside the scope pass; outside it, or moving a user out of it, are refused.
    ok(await call(UPDATE_USER, { id: ids.sam, input: { displayName: 'Sam Sales' } }, uma));
    expect(codeOf(await call(UPDATE_USER, { id: ids.pat, input: { displayName: 'x' } }, uma))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await call(UPDATE_USER, { id: ids.sam, input: { organizationId: org.apac } }, uma))).toBe(
      'FORBIDDEN',
    );
    expect(await visible(admin, ids.sam as string)).toBe(ids.sam);
    const samNow = await call<{ user: { organization: { id: string } } }>(USER, { id: ids.sam }, admin);
    expect(samNow.data?.user.organization.id).toBe(org.sales);
    const created = await call<{ createUser: { id: string } }>(
      CREATE_USER,
      { input: { organizationId: org.apac, email: `x.${Date.now()}@example.org`, displayName: 'X' } },
      uma,
    );
    expect(codeOf(created)).toBe('FORBIDDEN');
    ok(await call(RESET, { id: ids.eve }, uma));
    expect(codeOf(await call(RESET, { id: ids.pat }, uma))).toBe('FORBIDDEN');
    expect(codeOf(await call(SUSPEND, { id: ids.pat }, uma))).toBe('FORBIDDEN');
    // A plain user holds none of this.
    expect(await visible(tokens.sam as string, ids.eve as string)).toBeNull();
    expect(codeOf(await call(USERS, {}, tokens.sam as string))).toBe('FORBIDDEN');
  });

  it('nobody widens their own rights: no self-assignment, no capability or scope beyond their own', async () => {
    const uma = tokens.uma as string;
    const self = await call(
      ASSIGN,
      {
        input: { userId: ids.uma, role: 'HELPDESK', scope: { kind: 'ORGANIZATION', id: org.sales } },
      },
      uma,
    );
    expect([codeOf(self), reasonOf(self)]).toEqual(['FORBIDDEN', 'ADMIN_ROLE.SELF']);
    // AUDITOR's audit:read is not USER_ADMIN's to give.
    const auditor = await call(
      ASSIGN,
      {
        input: {
          userId: ids.eve,
          role: 'AUDITOR',
          scope: { kind: 'ORGANIZATION', id: org.emea, subtree: true },
        },
      },
      uma,
    );
    expect([codeOf(auditor), reasonOf(auditor)]).toEqual(['FORBIDDEN', 'ADMIN_ROLE.ESCALATION']);
    // Nor a scope wider than EMEA, or beside it.
    for (const scope of [{ kind: 'GLOBAL' }, { kind: 'ORGANIZATION', id: org.apac }]) {
      const wider = await call(ASSIGN, { input: { userId: ids.eve, role: 'HELPDESK', scope } }, uma);
      expect([codeOf(wider), reasonOf(wider)]).toEqual(['FORBIDDEN', 'ADMIN_ROLE.ESCALATION']);
    }
    // Nor a person outside EMEA.
    const outsider = await call(
      ASSIGN,
      {
        input: { userId: ids.pat, role: 'HELPDESK', scope: { kind: 'ORGANIZATION', id: org.sales } },
      },
      uma,
    );
    expect(reasonOf(outsider)).toBe('ADMIN_ROLE.ASSIGNEE');
    // Narrower rights inside the scope may be passed on; the HELPDESK reaches sales only.
    const helpdesk = ok(
      await assign(uma, {
        userId: ids.eve,
        role: 'HELPDESK',
        scope: { kind: 'ORGANIZATION', id: org.sales, subtree: true },
      }),
    ).assignAdminRole;
    expect(helpdesk.status).toBe('ACTIVE');
    const eve = tokens.eve as string;
    ok(await call(RESET, { id: ids.sam }, eve));
    expect(codeOf(await call(UPDATE_USER, { id: ids.sam, input: { displayName: 'y' } }, eve))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await call(RESET, { id: ids.uma }, eve))).toBe('FORBIDDEN');
    // A HELPDESK holds no admin-role:assign, so passes nothing on.
    const onward = await call(
      ASSIGN,
      {
        input: { userId: ids.sam, role: 'HELPDESK', scope: { kind: 'ORGANIZATION', id: org.sales } },
      },
      eve,
    );
    expect(reasonOf(onward)).toBe('ADMIN_ROLE.ESCALATION');
    // Custom roles are a global administrator's to define.
    const custom = await call(DEFINE, { name: 'READER', caps: ['user:read'] }, uma);
    expect(codeOf(custom)).toBe('FORBIDDEN');
    expect(reasonOf(await call(DEFINE, { name: 'BAD', caps: ['user:read', 'root:all'] }, admin))).toBe(
      'ADMIN_ROLE.CAPABILITY',
    );
    expect(
      codeOf(
        await call(ASSIGN, { input: { userId: ids.eve, role: 'NOPE', scope: { kind: 'GLOBAL' } } }, admin),
      ),
    ).toBe('BAD_USER_INPUT');
  });

  it('a revocation takes the rights away at once, and is on the broker and in the audit trail', async () => {
    const reader = await readTopic('concierge.admin.v1');
    try {
      const pat = ok(
        await assign(admin, {
          userId: ids.pat,
          role: 'USER_ADMIN',
          scope: { kind: 'ORGANIZATION', id: org.apac, subtree: true },
        }),
      ).assignAdminRole;
      const token = tokens.pat as string;
      expect(await visible(token, ids.pat as string)).toBe(ids.pat);
      // Another APAC user made by the new administrator.
      const made = ok(
        await call<{ createUser: { id: string } }>(
          CREATE_USER,
          { input: { organizationId: org.apac, email: `q.${Date.now()}@example.org`, displayName: 'Q' } },
          token,
        ),
      ).createUser.id;
      expect(await visible(token, made)).toBe(made);
      // Someone without authority over it cannot revoke it; to them it does not exist.
      expect(codeOf(await call(REVOKE, { id: pat.id }, tokens.uma as string))).toBe('NOT_FOUND');
      ok(await call(REVOKE, { id: pat.id }, admin));
      // The gateway drops its cached grants when admin-role.revoked arrives.
      await eventually(async () => (await visible(token, made)) === null, 10_000);
      expect(codeOf(await call(USERS, {}, token))).toBe('FORBIDDEN');

      const revoked = await eventually(async () =>
        reader.values().find((e) => e.subject === pat.id && e.type === 'admin-role.revoked'),
      );
      expect(revoked.data).toMatchObject({ userId: ids.pat, role: 'USER_ADMIN', reason: 'Moved on' });
      const trail = await eventually(async () => {
        const res = await call<{ auditTrail: { edges: { node: { action: string; actor: string } }[] } }>(
          AUDIT,
          { id: pat.id },
          admin,
        );
        expect(res.errors).toBeUndefined();
        const records = res.data?.auditTrail.edges.map((e) => `${e.node.action} by ${e.node.actor}`) ?? [];
        return records.length >= 2 ? records.sort() : undefined;
      });
      expect(trail).toEqual([`admin-role.assigned by ${adminId}`, `admin-role.revoked by ${adminId}`]);
      const roles = ok(
        await call<{ user: { adminRoles: { role: string; status: string }[] } }>(
          ROLES_OF,
          { id: ids.pat },
          token,
        ),
      );
      expect(roles.user.adminRoles).toEqual([
        { role: 'USER_ADMIN', status: 'REVOKED', scope: { kind: 'ORGANIZATION', id: org.apac } },
      ]);
    } finally {
      await reader.stop();
    }
  });

  it('a time-bound assignment gives its rights only within its period', async () => {
    const validTo = new Date(Date.now() + 4_000).toISOString();
    ok(
      await assign(admin, {
        userId: ids.ann,
        role: 'PARTNER_ADMIN',
        scope: { kind: 'PARTNER', id: org.acme },
        validTo,
      }),
    );
    const ann = tokens.ann as string;
    expect(await visible(ann, ids.ann as string)).toBe(ids.ann);
    expect((await listed(ann)).ids).toEqual([ids.ann]);
    expect(await visible(ann, ids.sam as string)).toBeNull();
    // A partner scope must name a partner organisation.
    const notPartner = await call(
      ASSIGN,
      {
        input: { userId: ids.eve, role: 'PARTNER_ADMIN', scope: { kind: 'PARTNER', id: org.emea } },
      },
      admin,
    );
    expect(reasonOf(notPartner)).toBe('ADMIN_ROLE.NOT_A_PARTNER');
    // Once the period ends the gateway asks again (its cache lasts until the next change), and the
    // rights are gone without any event.
    await new Promise((r) => setTimeout(r, Date.parse(validTo) - Date.now() + 50));
    expect(codeOf(await call(USERS, {}, ann))).toBe('FORBIDDEN');
  });
});
