import { randomUUID } from 'node:crypto';
import { BUILT_IN_ROLES, type Principal } from '@concierge/kit';
import {
  bearerCaller,
  codeOf,
  createOrg,
  eventually,
  graphql,
  okData,
  reasonOf,
  type GraphQLResponse,
} from '../testkit';
import { startStack } from '../testkit/stack';

/**
 * Who may do what, and where: every caller below runs every operation against one user in each
 * place, through the gateway, and the outcome must match this table. A cell reads, left to right,
 * for a target user in:
 *
 *   sales   the organisation the callers (but the partner admin) belong to
 *   sub     EMEA Sales, below sales
 *   hq      above sales
 *   ops     beside hq, elsewhere in the business
 *   acme    partner organisation A (the partner admin's)
 *   globex  partner organisation B
 *
 * Y: allowed and done. -: refused; a refused read returns null (or leaves the user out of a list),
 * a refused change FORBIDDEN, so a denial says nothing about whether the user exists.
 */
const SCOPES = ['sales', 'sub', 'hq', 'ops', 'acme', 'globex'] as const;

// prettier-ignore
const MATRIX: Record<Caller, Record<Operation, string>> = {
  //                 read      list      update    terminate reset     request   approve   revoke    audit     token     assign
  globalAdmin:   { read: 'YYYYYY', list: 'YYYYYY', update: 'YYYYYY', terminate: 'YYYYYY', reset: 'YYYYYY', request: 'YYYYYY', approve: '------', revoke: 'YYYYYY', audit: 'YYYYYY', token: 'YYYYYY', assign: 'YYYYYY' },
  userAdmin:     { read: 'YY----', list: 'YY----', update: 'YY----', terminate: 'YY----', reset: 'YY----', request: '------', approve: 'YY----', revoke: '------', audit: '------', token: 'YY----', assign: 'YY----' },
  helpdesk:      { read: 'YY----', list: 'YY----', update: '------', terminate: '------', reset: 'YY----', request: '------', approve: '------', revoke: '------', audit: '------', token: '------', assign: '------' },
  accessAdmin:   { read: '------', list: '------', update: '------', terminate: '------', reset: '------', request: '------', approve: '------', revoke: 'YYYYYY', audit: '------', token: '------', assign: '------' },
  appOwner:      { read: '------', list: '------', update: '------', terminate: '------', reset: '------', request: '------', approve: '------', revoke: 'YYYYYY', audit: '------', token: '------', assign: '------' },
  auditor:       { read: '------', list: '------', update: '------', terminate: '------', reset: '------', request: '------', approve: '------', revoke: '------', audit: 'YYYYYY', token: '------', assign: '------' },
  partnerAdmin:  { read: '----Y-', list: '----Y-', update: '------', terminate: '----Y-', reset: '------', request: '----Y-', approve: '----Y-', revoke: '----Y-', audit: '------', token: '----Y-', assign: '------' },
  lineManager:   { read: '-Y----', list: '------', update: '------', terminate: '------', reset: '------', request: '-Y----', approve: '------', revoke: '------', audit: '------', token: '------', assign: '------' },
  plainUser:     { read: '------', list: '------', update: '------', terminate: '------', reset: '------', request: '------', approve: '------', revoke: '------', audit: '------', token: '------', assign: '------' },
  apiToken:      { read: 'YY----', list: 'YY----', update: '------', terminate: '------', reset: 'YY----', request: '------', approve: '------', revoke: '------', audit: '------', token: '------', assign: '------' },
};

/**
 * The callers: each but the global administrator and the partner administrator is a person in
 * sales. userAdmin holds USER_ADMIN and helpdesk HELPDESK over sales and below; accessAdmin holds
 * ACCESS_ADMIN and appOwner APPLICATION_OWNER of the CRM; auditor holds AUDITOR everywhere;
 * partnerAdmin is a person of acme holding PARTNER_ADMIN over it; lineManager manages the target in
 * sub; apiToken is a token userAdmin made for sales with user:read, user:list and credential:reset.
 * The CRM is provided to both partners with every entitlement; its policy asks the administrators
 * of the beneficiary's organisation.
 */
type Caller =
  | 'globalAdmin'
  | 'userAdmin'
  | 'helpdesk'
  | 'accessAdmin'
  | 'appOwner'
  | 'auditor'
  | 'partnerAdmin'
  | 'lineManager'
  | 'plainUser'
  | 'apiToken';
type Operation =
  | 'read'
  | 'list'
  | 'update'
  | 'terminate'
  | 'reset'
  | 'request'
  | 'approve'
  | 'revoke'
  | 'audit'
  | 'token'
  | 'assign';
type Scope = (typeof SCOPES)[number];
const CALLERS = Object.keys(MATRIX) as Caller[];

const Q = {
  createUser: `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
  user: `query($id: ID!) { user(id: $id) { id } }`,
  users: `{ users(first: 200) { edges { node { id } } } }`,
  usersIn: `query($org: ID!) { users(first: 200, filter: { organizationId: $org }) { totalCount edges { node { id } } } }`,
  update: `mutation($id: ID!) { updateUser(id: $id, input: { displayName: "Renamed" }) { id } }`,
  terminate: `mutation($id: ID!) { terminateUser(id: $id) { id } }`,
  reset: `mutation($id: ID!) { resetPassword(userId: $id) }`,
  request: `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status } }`,
  approve: `mutation($id: ID!) { approveAccessRequest(id: $id) { id status } }`,
  grant: `mutation($input: GrantAccessInput!) { grantAccess(input: $input) { id } }`,
  revoke: `mutation($id: ID!) { revokeGrant(id: $id, reason: "Matrix") { id } }`,
  audit: `query($id: ID!) { auditTrail(filter: { targetId: $id }, first: 1) { edges { node { action } } } }`,
  token: `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`,
  assign: `mutation($input: AssignAdminRoleInput!) { assignAdminRole(input: $input) { id } }`,
  policy: `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id } }`,
  app: `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`,
  entitlement: `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`,
  provide: `mutation($app: ID!, $partner: ID!, $ents: [ID!]!) { provideApplicationToPartner(applicationId: $app, partnerId: $partner, entitlementIds: $ents) { id } }`,
  applications: `{ applications(first: 50) { edges { node { id name entitlements { id } partners { partner { id } } } } } }`,
};

describe('the authorization matrix, through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let call: <T>(
    query: string,
    variables: Record<string, unknown>,
    bearer: string,
  ) => Promise<GraphQLResponse<T>>;
  const org = {} as Record<Scope, string>;
  const target = {} as Record<Scope, string>;
  const bearer = {} as Record<Caller, string>;
  const person = {} as Record<Caller, string>;
  /** Per caller and place: a pending request for the target, and a grant the target holds. */
  const requests = {} as Record<Caller, Partial<Record<Scope, string>>>;
  const grants = {} as Record<Caller, Partial<Record<Scope, string>>>;
  /** Per caller, the entitlement the caller's own requests ask for (one pending per person and entitlement). */
  const entitlementFor = {} as Record<Caller, string>;
  let setup = '';
  let crm = '';
  let policyId = '';

  const ok = <T>(res: GraphQLResponse<T>): T => okData(res);
  async function newUser(scope: Scope, name: string, managerId?: string): Promise<string> {
    const input = {
      organizationId: org[scope],
      email: `${name}.${randomUUID().slice(0, 8)}@example.org`,
      displayName: name,
      ...(managerId ? { managerId } : {}),
    };
    return ok(await call<{ createUser: { id: string } }>(Q.createUser, { input }, setup)).createUser.id;
  }
  const assign = (userId: string, role: string, scope: Record<string, unknown>) =>
    eventually(async () => {
      const res = await call<{ assignAdminRole: { id: string } }>(
        Q.assign,
        { input: { userId, role, scope } },
        setup,
      );
      return res.data?.assignAdminRole.id;
    });

  beforeAll(async () => {
    // Many resets and token creations from one address: the credential throttle is not the subject here.
    stack = await startStack({ gateway: { throttle: { burst: 100_000, perMinute: 100_000 } } });
    call = bearerCaller(stack.gateway.url);
    setup = await stack.token(`setup-${randomUUID()}`, ['admin']);
    const auth = { authorization: `Bearer ${setup}` };
    org.hq = await createOrg(stack.gateway.url, { name: 'HQ' }, auth);
    org.sales = await createOrg(stack.gateway.url, { name: 'Sales', parentId: org.hq }, auth);
    org.sub = await createOrg(stack.gateway.url, { name: 'EMEA Sales', parentId: org.sales }, auth);
    org.ops = await createOrg(stack.gateway.url, { name: 'Operations' }, auth);
    org.acme = await createOrg(stack.gateway.url, { name: 'Acme', kind: 'PARTNER' }, auth);
    org.globex = await createOrg(stack.gateway.url, { name: 'Globex', kind: 'PARTNER' }, auth);

    for (const caller of CALLERS) {
      if (caller === 'globalAdmin' || caller === 'apiToken') continue;
      person[caller] = await newUser(caller === 'partnerAdmin' ? 'acme' : 'sales', caller);
    }
    for (const scope of SCOPES)
      target[scope] = await newUser(
        scope,
        `target-${scope}`,
        scope === 'sub' ? person.lineManager : undefined,
      );
    for (const caller of CALLERS)
      if (person[caller]) bearer[caller] = await stack.token(person[caller] as string);
    bearer.globalAdmin = await stack.token(`global-${randomUUID()}`, ['admin']);

    // The CRM: one entitlement per caller for its requests, one per caller for its grants.
    const policy = (policyId = ok(
      await call<{ createApprovalPolicy: { id: string } }>(
        Q.policy,
        {
          input: {
            name: `Org admins ${randomUUID().slice(0, 6)}`,
            stages: [
              { name: 'Administrators', approvers: [{ kind: 'ORGANIZATION_ADMINS' }], deadline: 'P5D' },
            ],
            whenNoApprover: 'REJECT',
          },
        },
        setup,
      ),
    ).createApprovalPolicy.id);
    // Its owner is nobody of the table (access-requests must have heard of them first).
    const owner = await newUser('ops', 'crm-owner');
    crm = await eventually(async () => {
      const res = await call<{ createApplication: { id: string } }>(
        Q.app,
        { input: { name: `CRM ${randomUUID().slice(0, 6)}`, ownerIds: [owner] } },
        setup,
      );
      return res.data?.createApplication.id;
    });
    const all: string[] = [];
    const entitlement = async (name: string) => {
      const id = ok(
        await call<{ addEntitlement: { id: string } }>(
          Q.entitlement,
          { app: crm, input: { name, policyId: policy } },
          setup,
        ),
      ).addEntitlement.id;
      all.push(id);
      return id;
    };
    const forApprovals = {} as Record<Caller, string>;
    const forGrants = {} as Record<Caller, string>;
    for (const caller of CALLERS) {
      entitlementFor[caller] = await entitlement(`ask-${caller}`);
      forApprovals[caller] = await entitlement(`approve-${caller}`);
      forGrants[caller] = await entitlement(`hold-${caller}`);
    }
    for (const partner of ['acme', 'globex'] as const)
      ok(await call(Q.provide, { app: crm, partner: org[partner], ents: all }, setup));

    // The admin roles (the delegation service learns of people, places and the CRM by events).
    await assign(person.userAdmin as string, 'USER_ADMIN', {
      kind: 'ORGANIZATION',
      id: org.sales,
      subtree: true,
    });
    await assign(person.helpdesk as string, 'HELPDESK', {
      kind: 'ORGANIZATION',
      id: org.sales,
      subtree: true,
    });
    await assign(person.accessAdmin as string, 'ACCESS_ADMIN', { kind: 'APPLICATION', id: crm });
    await assign(person.appOwner as string, 'APPLICATION_OWNER', { kind: 'APPLICATION', id: crm });
    await assign(person.auditor as string, 'AUDITOR', { kind: 'GLOBAL' });
    await assign(person.partnerAdmin as string, 'PARTNER_ADMIN', { kind: 'PARTNER', id: org.acme });
    bearer.apiToken = ok(
      await call<{ createApiToken: { secret: string } }>(
        Q.token,
        {
          input: {
            name: 'Matrix',
            organizationId: org.sales,
            capabilities: ['user:read', 'user:list', 'credential:reset'],
            expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          },
        },
        bearer.userAdmin,
      ),
    ).createApiToken.secret;

    // For each caller and place: a request waiting for the administrators of the target's
    // organisation (access-requests must have heard of the roles first), and a grant to revoke.
    await eventually(async () => {
      const probe = await call<{ requestAccess: { id: string; status: string } }>(
        Q.request,
        {
          input: {
            beneficiaryId: target.sales,
            entitlementId: forApprovals.plainUser,
            justification: 'Probe',
          },
        },
        setup,
      );
      if (probe.data?.requestAccess.status !== 'PENDING') return undefined;
      requests.plainUser = { sales: probe.data.requestAccess.id };
      return true;
    });
    for (const caller of CALLERS) {
      requests[caller] ??= {};
      grants[caller] = {};
      for (const scope of SCOPES) {
        if (!requests[caller][scope]) {
          const res = await call<{ requestAccess: { id: string } }>(
            Q.request,
            {
              input: {
                beneficiaryId: target[scope],
                entitlementId: forApprovals[caller],
                justification: 'Matrix',
              },
            },
            setup,
          );
          requests[caller][scope] = ok(res).requestAccess.id;
        }
        const granted = await call<{ grantAccess: { id: string } }>(
          Q.grant,
          { input: { beneficiaryId: target[scope], entitlementId: forGrants[caller], reason: 'Matrix' } },
          setup,
        );
        grants[caller][scope] = ok(granted).grantAccess.id;
      }
    }
  }, 240_000);
  afterAll(() => stack.stop());

  /** Runs one operation as `caller` on the target in `scope`: true when allowed and done. */
  async function attempt(caller: Caller, operation: Operation, scope: Scope): Promise<boolean> {
    const as = bearer[caller];
    const id = target[scope];
    const done = (res: GraphQLResponse<unknown>) => {
      if (!res.errors) return true;
      const code = codeOf(res);
      // A refusal; anything else is a fault of the test's set-up, and fails it.
      if (
        code === 'FORBIDDEN' ||
        code === 'NOT_FOUND' ||
        (code === 'BAD_USER_INPUT' && reasonOf(res) === 'ADMIN_ROLE.ASSIGNEE')
      )
        return false;
      throw new Error(`${caller} ${operation} ${scope}: ${JSON.stringify(res.errors)}`);
    };
    switch (operation) {
      case 'read':
        return (await call<{ user: { id: string } | null }>(Q.user, { id }, as)).data?.user?.id === id;
      case 'list': {
        const res = await call<{ users: { edges: { node: { id: string } }[] } }>(Q.users, {}, as);
        if (codeOf(res) === 'FORBIDDEN') return false;
        return ok(res).users.edges.some((e) => e.node.id === id);
      }
      case 'update':
        return done(await call(Q.update, { id }, as));
      case 'terminate':
        // Each attempt on a user of its own, so that one termination does not decide the next.
        return done(await call(Q.terminate, { id: await newUser(scope, `leaver-${caller}`) }, as));
      case 'reset':
        return done(await call(Q.reset, { id }, as));
      case 'request':
        return done(
          await call(
            Q.request,
            { input: { beneficiaryId: id, entitlementId: entitlementFor[caller], justification: 'Matrix' } },
            as,
          ),
        );
      case 'approve': {
        const res = await call<{ approveAccessRequest: { status: string } }>(
          Q.approve,
          { id: requests[caller][scope] },
          as,
        );
        // A request nobody could take was rejected at once: there is nothing to approve.
        if (codeOf(res) === 'CONFLICT') return false;
        return done(res);
      }
      case 'revoke':
        return done(await call(Q.revoke, { id: grants[caller][scope] }, as));
      case 'audit': {
        const res = await call(Q.audit, { id }, as);
        return done(res);
      }
      case 'token': {
        const input = {
          name: `${caller} ${scope}`,
          organizationId: org[scope],
          capabilities: ['user:read'],
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        };
        return done(await call(Q.token, { input }, as));
      }
      case 'assign':
        return done(
          await call(
            Q.assign,
            { input: { userId: id, role: 'HELPDESK', scope: { kind: 'ORGANIZATION', id: org[scope] } } },
            as,
          ),
        );
    }
  }

  it.each(CALLERS)('%s: every operation in every place as the table says', async (caller) => {
    const seen = {} as Record<Operation, string>;
    for (const operation of Object.keys(MATRIX[caller]) as Operation[]) {
      let row = '';
      for (const scope of SCOPES) row += (await attempt(caller, operation, scope)) ? 'Y' : '-';
      seen[operation] = row;
    }
    expect(seen).toEqual(MATRIX[caller]);
  });

  it("a partner's administrator learns nothing of another partner's people: by id, by filter, through a nested field or the catalogue", async () => {
    const asPartner = bearer.partnerAdmin;
    // By id: null, exactly as for an id that exists nowhere.
    expect(await call(Q.user, { id: target.globex }, asPartner)).toEqual(
      await call(Q.user, { id: randomUUID() }, asPartner),
    );
    // By list filter: an empty page with a count of 0, as for an empty organisation.
    const filtered = ok(await call<{ users: unknown }>(Q.usersIn, { org: org.globex }, asPartner));
    expect(filtered).toEqual({ users: { totalCount: 0, edges: [] } });
    // Through a nested field: the own partner's user whose manager sits in the other partner.
    const bridged = await newUser('acme', 'bridged', target.globex);
    const nested = await call<{ user: { manager: unknown } }>(
      `query($id: ID!) { user(id: $id) { id manager { id } } }`,
      { id: bridged },
      asPartner,
    );
    expect(nested.data?.user).toEqual({ id: bridged, manager: null });
    // The catalogue: the CRM, but not which other partners it is provided to.
    const catalogue = ok(
      await call<{ applications: { edges: { node: { id: string; partners: unknown[] } }[] } }>(
        Q.applications,
        {},
        asPartner,
      ),
    ).applications.edges.map((e) => e.node);
    expect(catalogue).toEqual([expect.objectContaining({ id: crm, partners: [] })]);
  });

  it("a partner's administrator creates users in its partner only, grants only what the partner is provided, and only to the partner's people; so does its portal's token", async () => {
    const asPartner = bearer.partnerAdmin;
    const provided = entitlementFor.plainUser;
    const extra = ok(
      await call<{ addEntitlement: { id: string } }>(
        Q.entitlement,
        { app: crm, input: { name: `unprovided-${randomUUID().slice(0, 6)}`, policyId } },
        setup,
      ),
    ).addEntitlement.id;
    const grant = (beneficiaryId: string, entitlementId: string, as: string) =>
      call(Q.grant, { input: { beneficiaryId, entitlementId, reason: 'Partner' } }, as);
    // Its users are created in its own partner only.
    const create = (scope: Scope) =>
      call(
        Q.createUser,
        {
          input: {
            organizationId: org[scope],
            email: `new.${randomUUID().slice(0, 8)}@example.org`,
            displayName: 'New',
          },
        },
        asPartner,
      );
    okData(await create('acme'));
    for (const elsewhere of ['globex', 'sales', 'hq'] as const)
      expect(codeOf(await create(elsewhere))).toBe('FORBIDDEN');
    okData(await grant(target.acme, provided, asPartner));
    expect(reasonOf(await grant(target.acme, extra, asPartner))).toBe('APPLICATION.NOT_PROVIDED');
    expect(codeOf(await grant(target.globex, provided, asPartner))).toBe('FORBIDDEN');
    // Not even a global administrator gives a partner's people what the partner is not provided.
    expect(reasonOf(await grant(target.acme, extra, setup))).toBe('APPLICATION.NOT_PROVIDED');

    const portal = ok(
      await call<{ createApiToken: { secret: string } }>(
        Q.token,
        {
          input: {
            name: 'Acme portal',
            organizationId: org.acme,
            capabilities: ['user:read', 'user:list', 'access:request'],
            expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
          },
        },
        asPartner,
      ),
    ).createApiToken.secret;
    const asked = await call<{ requestAccess: { status: string } }>(
      Q.request,
      {
        input: { beneficiaryId: target.acme, entitlementId: entitlementFor.auditor, justification: 'Portal' },
      },
      portal,
    );
    expect(ok(asked).requestAccess.status).toBe('PENDING');
    expect(
      codeOf(
        await call(
          Q.request,
          {
            input: {
              beneficiaryId: target.globex,
              entitlementId: entitlementFor.auditor,
              justification: 'Portal',
            },
          },
          portal,
        ),
      ),
    ).toBe('FORBIDDEN');
  });

  it('an entity lookup at a subgraph (what the gateway sends for a nested type) is filtered the same way', async () => {
    const probe = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`;
    const representations = [
      { __typename: 'User', id: target.acme },
      { __typename: 'User', id: target.globex },
    ];
    // The partner administrator as the gateway signs them: their PARTNER_ADMIN grant over acme.
    const principal: Principal = {
      kind: 'user',
      userId: person.partnerAdmin as string,
      roles: [],
      grants: [{ capabilities: BUILT_IN_ROLES.PARTNER_ADMIN, scope: { kind: 'PARTNER', id: org.acme } }],
    };
    const res = await graphql(stack.users.url, probe, { r: representations }, principal);
    expect(res.data).toEqual({ _entities: [{ id: target.acme }, null] });
  });
});
