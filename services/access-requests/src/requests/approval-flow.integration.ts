import { eventually, graphql } from '../../../../test/testkit';
import { accessRequestsService } from '../../../../test/testkit/access-requests-service';

const ADMIN_ID = 'adm';
const PEOPLE = [
  { id: 'max', org: 'hq' },
  { id: 'mia', org: 'sales', manager: 'max' },
  { id: 'bea', name: 'Bea Beneficiary', org: 'sales', manager: 'mia' },
  { id: 'ben', org: 'sales', manager: 'mia' },
  { id: 'olga', org: 'ops' },
  { id: 'oscar', org: 'ops' },
  { id: 'sec1', org: 'ops' },
  { id: 'sec2', org: 'ops' },
  { id: 'nina', org: 'ops' },
  { id: ADMIN_ID, org: 'hq', roles: ['admin'] },
  { id: 'outsider', org: 'other' },
  { id: 'zed', org: 'sales', manager: 'mia' },
  { id: 'sue', org: 'sales', manager: 'mia', status: 'SUSPENDED' as const },
  { id: 'tom', org: 'sales', manager: 'mia', status: 'TERMINATED' as const },
];

const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id version } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`;
const REQUEST = `mutation($input: RequestAccessInput!) {
  requestAccess(input: $input) { id status currentStage { index name level approvers { user { id } reason } } }
}`;
const APPROVE = `mutation($id: ID!, $onBehalfOf: ID) { approveAccessRequest(id: $id, onBehalfOf: $onBehalfOf) {
  id status outcome currentStage { index name approvers { user { id } decision decidedBy { id } } } grant { id status source }
} }`;
const REJECT = `mutation($id: ID!, $comment: String!) { rejectAccessRequest(id: $id, comment: $comment) { id status outcome } }`;
const CANCEL = `mutation($id: ID!) { cancelAccessRequest(id: $id) { id status } }`;
const READ = `query($id: ID!) { accessRequest(id: $id) {
  id status outcome grant { id status source validTo }
  timeline { action actorId onBehalfOf { id } stage level users { id } comment }
} }`;
const MY_APPROVALS = `{ myApprovals { totalCount edges { node { request { id } approver { id } reason actingAs } } } }`;

type Res<T> = {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
};
const codeOf = (res: Res<unknown>) => {
  const e = res.errors?.[0]?.extensions;
  return e ? `${e.code}${e.reason ? ` ${e.reason}` : ''}` : 'ok';
};

describe('access requests and their approval (real database and broker)', () => {
  const svc = accessRequestsService();
  const admin = svc.as(ADMIN_ID, ['admin']);
  const ent: Record<string, string> = {};
  let appId = '';

  async function policy(input: Record<string, unknown>): Promise<string> {
    const res = await svc.call<{ createApprovalPolicy: { id: string } }>(POLICY, { input }, admin);
    expect(res.errors).toBeUndefined();
    return res.data!.createApprovalPolicy.id;
  }
  async function entitlement(
    name: string,
    policyId: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await svc.call<{ addEntitlement: { id: string } }>(
      ENT,
      { app: appId, input: { name, policyId, ...extra } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.addEntitlement.id;
  }
  const request = (userId: string, input: Record<string, unknown>) =>
    svc.call<{
      requestAccess: {
        id: string;
        status: string;
        currentStage: { approvers: { user: { id: string } }[] } | null;
      };
    }>(
      REQUEST,
      { input: { justification: 'Needed for the quarter', ...input } },
      svc.as(userId, userId === ADMIN_ID ? ['admin'] : []),
    );
  const approve = (userId: string, id: string, onBehalfOf?: string) =>
    svc.call<{
      approveAccessRequest: {
        status: string;
        outcome: string | null;
        grant: { id: string; status: string } | null;
      };
    }>(APPROVE, { id, onBehalfOf }, svc.as(userId));
  const stored = () => svc.db().collection('access_requests').countDocuments({});

  beforeAll(async () => {
    await svc.seedOrgs([
      { id: 'hq' },
      { id: 'sales', parentId: 'hq' },
      { id: 'ops', parentId: 'hq' },
      { id: 'other' },
    ]);
    await svc.seedPeople(PEOPLE);
    const app = await svc.call<{ createApplication: { id: string } }>(
      APP,
      { input: { name: 'CRM', ownerIds: ['olga', 'oscar'], requestableBy: ['hq'], riskLevel: 'HIGH' } },
      admin,
    );
    expect(app.errors).toBeUndefined();
    appId = app.data!.createApplication.id;
    const oneStage = await policy({
      name: 'Manager approves',
      stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'P3D' }],
    });
    const threeStage = await policy({
      name: 'Three stages',
      stages: [
        { name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'P1D' },
        { name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], rule: 'ANY', deadline: 'P2D' },
        {
          name: 'Security',
          approvers: [{ kind: 'USERS', userIds: ['sec1', 'sec2'] }],
          rule: 'ALL',
          deadline: 'P2D',
        },
      ],
    });
    const owners = await policy({
      name: 'Owners approve',
      stages: [{ name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], deadline: 'P1D' }],
    });
    ent.account = await entitlement('Account', oneStage, { baseAccess: true });
    ent.sales = await entitlement('Sales', threeStage);
    ent.reports = await entitlement('Reports', owners, { maxDuration: 'P30D' });
    ent.export = await entitlement('Export', owners);
    ent.admin = await entitlement('Admin', oneStage);
  });

  it('when the beneficiary asks under a one-stage policy, then their manager gets the task and the approval makes a grant', async () => {
    const res = await request('bea', { entitlementId: ent.account });
    expect(res.errors).toBeUndefined();
    const id = res.data!.requestAccess.id;
    expect(res.data!.requestAccess.currentStage?.approvers.map((a) => a.user.id)).toEqual(['mia']);
    const tasks = await svc.call<{
      myApprovals: { edges: { node: { request: { id: string }; reason: string; actingAs: string } }[] };
    }>(MY_APPROVALS, {}, svc.as('mia'));
    expect(tasks.data?.myApprovals.edges.map((e) => e.node)).toContainEqual(
      expect.objectContaining({ request: { id }, reason: 'MANAGER', actingAs: 'APPROVER' }),
    );

    const approved = await approve('mia', id);
    expect(approved.errors).toBeUndefined();
    expect(approved.data?.approveAccessRequest).toMatchObject({
      status: 'APPROVED',
      outcome: 'APPROVED',
      grant: { id: `g-${id}`, status: 'ACTIVE' },
    });
    // The events went out, in order, through the outbox.
    const types = await waitForTypes(id, [
      'access-request.submitted',
      'approval.task-assigned',
      'approval.decided',
      'access-request.approved',
    ]);
    expect(types).toEqual([
      'access-request.submitted',
      'approval.task-assigned',
      'approval.decided',
      'access-request.approved',
    ]);
    const created = await eventuallyEvent('grant.created', `g-${id}`);
    expect(created.data).toMatchObject({
      source: 'REQUEST',
      requestId: id,
      beneficiaryId: 'bea',
      status: 'ACTIVE',
    });
    const assigned = svc.eventsOf('approval.task-assigned', id)[0];
    expect(assigned?.data).toMatchObject({
      beneficiaryName: 'Bea Beneficiary',
      applicationName: 'CRM',
      entitlementName: 'Account',
    });
  });

  it('when a policy has three stages, then they run in order, ALL waits for every approver, and the last approval grants', async () => {
    const id = (await request('ben', { entitlementId: ent.sales })).data!.requestAccess.id;
    expect((await approve('mia', id)).data?.approveAccessRequest.status).toBe('PENDING');
    expect(codeOf(await approve('sec1', id))).toBe('FORBIDDEN'); // not their stage yet
    expect((await approve('olga', id)).data?.approveAccessRequest.status).toBe('PENDING');
    expect((await approve('sec2', id)).data?.approveAccessRequest.status).toBe('PENDING'); // ALL: sec1 owes
    const done = await approve('sec1', id);
    expect(done.data?.approveAccessRequest).toMatchObject({
      status: 'APPROVED',
      grant: { status: 'ACTIVE' },
    });
    const read = await svc.call<{
      accessRequest: { timeline: { action: string; actorId: string; stage: number | null }[] };
    }>(READ, { id }, svc.as('ben'));
    expect(read.data?.accessRequest.timeline.map((e) => `${e.action}:${e.actorId}`)).toEqual([
      'SUBMITTED:ben',
      'ASSIGNED:ben',
      'APPROVED_TASK:mia',
      'STAGE_COMPLETED:mia',
      'ASSIGNED:mia',
      'APPROVED_TASK:olga',
      'STAGE_COMPLETED:olga',
      'ASSIGNED:olga',
      'APPROVED_TASK:sec2',
      'APPROVED_TASK:sec1',
      'STAGE_COMPLETED:sec1',
      'APPROVED:sec1',
    ]);
  });

  it('when two approvers decide the same task at once, through two replicas, then one wins, the other gets CONFLICT, and one grant is made', async () => {
    const replica = await svc.replica();
    for (let round = 0; round < 3; round++) {
      const id = (await request('bea', { entitlementId: ent.export })).data!.requestAccess.id;
      const [a, b] = await Promise.all([
        svc.call(APPROVE, { id }, svc.as('olga')),
        graphql(replica.url, APPROVE, { id }, svc.as('oscar')),
      ]);
      const codes = [codeOf(a), codeOf(b)].sort();
      expect(codes).toEqual(['CONFLICT ACCESS_REQUEST.ALREADY_DECIDED', 'ok'].sort());
      const grant = await eventuallyEvent('grant.created', `g-${id}`);
      expect(grant.data.requestId).toBe(id);
      expect(await svc.db().collection('grants').countDocuments({ requestId: id })).toBe(1);
      // Revoked again, so that the next round may ask anew.
      const revoke = await svc.call(
        `mutation($id: ID!) { revokeGrant(id: $id, reason: "next round") { status } }`,
        { id: `g-${id}` },
        admin,
      );
      expect(revoke.errors).toBeUndefined();
    }
  });

  it('four eyes: a manager who asks for their report is not their approver, and nobody decides their own request', async () => {
    // mia asks for bea: the manager stage has nobody else, so it escalates at once (no chain: rejected).
    const res = await request('mia', { beneficiaryId: 'ben', entitlementId: ent.admin });
    expect(res.errors).toBeUndefined();
    const read = await svc.call<{ accessRequest: { status: string; outcome: string } }>(
      READ,
      { id: res.data!.requestAccess.id },
      admin,
    );
    expect(read.data?.accessRequest).toMatchObject({ status: 'REJECTED', outcome: 'FINAL_ACTION' });
    // An owner asking for themselves is never their own approver: the other owner is.
    const own = await request('olga', { entitlementId: ent.export });
    expect(own.data?.requestAccess.currentStage?.approvers.map((a) => a.user.id)).toEqual(['oscar']);
    expect(codeOf(await approve('olga', own.data!.requestAccess.id))).toBe('FORBIDDEN');
  });

  it('a line manager asks for an indirect report; for someone outside their reports they are refused and nothing is stored', async () => {
    const ok = await request('max', {
      beneficiaryId: 'ben',
      entitlementId: ent.reports,
      validTo: inDays(10),
    });
    expect(ok.errors).toBeUndefined();
    const before = await stored();
    const refused = await request('mia', {
      beneficiaryId: 'olga',
      entitlementId: ent.reports,
      validTo: inDays(10),
    });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(await stored()).toBe(before);
  });

  it('every bad request gets a typed error and stores nothing, publishes nothing', async () => {
    const before = await stored();
    const eventsBefore = svc.events().length;
    // A pending one to collide with.
    const pending = await request('bea', { entitlementId: ent.reports, validTo: inDays(5) });
    expect(pending.errors).toBeUndefined();
    const after = await stored();
    const cases: [string, Record<string, unknown>, string][] = [
      ['bea', { entitlementId: ent.reports, validTo: inDays(5) }, 'CONFLICT ACCESS_REQUEST.ALREADY_PENDING'],
      ['bea', { entitlementId: ent.account }, 'CONFLICT ACCESS_REQUEST.ALREADY_HELD'],
      ['bea', { entitlementId: ent.reports, validTo: inDays(31) }, 'BAD_USER_INPUT ACCESS_REQUEST.TOO_LONG'],
      ['bea', { entitlementId: ent.reports }, 'BAD_USER_INPUT ACCESS_REQUEST.TOO_LONG'],
      ['outsider', { entitlementId: ent.export }, 'BAD_USER_INPUT ACCESS_REQUEST.NOT_REQUESTABLE'],
      [
        'mia',
        { beneficiaryId: 'sue', entitlementId: ent.export },
        'BAD_USER_INPUT ACCESS_REQUEST.BENEFICIARY_INACTIVE',
      ],
      [
        ADMIN_ID,
        { beneficiaryId: 'tom', entitlementId: ent.export },
        'BAD_USER_INPUT ACCESS_REQUEST.BENEFICIARY_INACTIVE',
      ],
      [
        'bea',
        { entitlementId: ent.export, justification: '  ' },
        'BAD_USER_INPUT ACCESS_REQUEST.JUSTIFICATION_REQUIRED',
      ],
      [
        'bea',
        { entitlementId: ent.export, validTo: '2020-01-01T00:00:00Z' },
        'BAD_USER_INPUT ACCESS_REQUEST.PERIOD',
      ],
      ['bea', { entitlementId: ent.export, validFrom: 'next week' }, 'BAD_USER_INPUT ACCESS_REQUEST.PERIOD'],
      ['bea', { entitlementId: 'no-such-entitlement' }, 'NOT_FOUND ENTITLEMENT.NOT_FOUND'],
    ];
    for (const [who, input, code] of cases) {
      const res = await request(who, input);
      expect({ input, code: codeOf(res) }).toEqual({ input, code });
    }
    expect(await stored()).toBe(after);
    expect(after).toBe(before + 1);
    // Only the one accepted request published anything.
    await new Promise((r) => setTimeout(r, 1_000));
    const published = svc
      .events()
      .slice(eventsBefore)
      .filter((e) => e.data.requestId !== pending.data!.requestAccess.id);
    expect(published.filter((e) => e.type.startsWith('access-request.'))).toEqual([]);
  });

  it('a rejection needs a comment; cancelling is for the requester or the beneficiary; a decided request stays decided', async () => {
    const id = (await request('ben', { entitlementId: ent.admin })).data!.requestAccess.id;
    expect(codeOf(await svc.call(REJECT, { id, comment: ' ' }, svc.as('mia')))).toBe(
      'BAD_USER_INPUT ACCESS_REQUEST.COMMENT_REQUIRED',
    );
    expect(codeOf(await svc.call(CANCEL, { id }, svc.as('olga')))).toBe('FORBIDDEN');
    const rejected = await svc.call<{ rejectAccessRequest: { status: string } }>(
      REJECT,
      { id, comment: 'Not needed' },
      svc.as('mia'),
    );
    expect(rejected.data?.rejectAccessRequest.status).toBe('REJECTED');
    expect(codeOf(await svc.call(CANCEL, { id }, svc.as('ben')))).toBe('CONFLICT ACCESS_REQUEST.NOT_PENDING');
    expect(codeOf(await approve('mia', id))).toBe('CONFLICT ACCESS_REQUEST.ALREADY_DECIDED');
    // The pending key went with the decision: the same access may be asked for again.
    const again = await request('ben', { entitlementId: ent.admin });
    expect(again.errors).toBeUndefined();
    const cancelled = await svc.call<{ cancelAccessRequest: { status: string } }>(
      CANCEL,
      { id: again.data!.requestAccess.id },
      svc.as('ben'),
    );
    expect(cancelled.data?.cancelAccessRequest.status).toBe('CANCELLED');
    await eventuallyEvent('access-request.cancelled', again.data!.requestAccess.id);
  });

  it('a request is readable by those it concerns only; to others it does not exist', async () => {
    const id = (await request('bea', { entitlementId: ent.admin })).data!.requestAccess.id;
    for (const who of ['bea', 'mia', 'max', 'olga', ADMIN_ID]) {
      const res = await svc.call<{ accessRequest: { id: string } | null }>(
        READ,
        { id },
        svc.as(who, who === ADMIN_ID ? ['admin'] : []),
      );
      expect({ who, found: res.data?.accessRequest?.id }).toEqual({ who, found: id });
    }
    for (const who of ['outsider', 'sec1']) {
      const res = await svc.call<{ accessRequest: { id: string } | null }>(READ, { id }, svc.as(who));
      expect({ who, found: res.data?.accessRequest ?? null }).toEqual({ who, found: null });
    }
  });

  it('when the beneficiary moves to a new manager, then the open manager task goes to the new manager', async () => {
    const id = (await request('zed', { entitlementId: ent.admin })).data!.requestAccess.id;
    await svc.publish('user.moved', 'zed', {
      userId: 'zed',
      before: { organizationId: 'sales', managerId: 'mia', employeeType: 'EMPLOYEE' },
      after: { organizationId: 'hq', managerId: 'max', employeeType: 'EMPLOYEE' },
    });
    const assigned = await eventually(async () =>
      svc.eventsOf('approval.task-assigned', id).find((e) => e.actor === 'system:mover'),
    );
    expect(assigned.data.assignees).toEqual([{ userId: 'max', reason: 'MANAGER' }]);
    expect(codeOf(await approve('mia', id))).toBe('FORBIDDEN');
    const read = await svc.call<{
      accessRequest: { timeline: { action: string; users: { id: string }[] }[] };
    }>(READ, { id }, admin);
    expect(read.data?.accessRequest.timeline.at(-1)).toMatchObject({
      action: 'REASSIGNED',
      users: [{ id: 'mia' }, { id: 'max' }],
    });
    expect((await approve('max', id)).data?.approveAccessRequest.status).toBe('APPROVED');
  });

  async function waitForTypes(requestId: string, wanted: string[]): Promise<string[]> {
    return eventually(async () => {
      const types = svc
        .events()
        .filter((e) => e.data.requestId === requestId && !e.type.startsWith('grant.'))
        .map((e) => e.type);
      const distinct = types.filter((t, i) => types.indexOf(t) === i);
      return wanted.every((t) => distinct.includes(t)) ? distinct : undefined;
    });
  }

  async function eventuallyEvent(type: string, id: string) {
    return eventually(async () => svc.eventsOf(type, id)[0]);
  }
});

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString();
}
