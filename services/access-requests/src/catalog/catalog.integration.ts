import { eventually } from '../../../../test/testkit';
import { accessRequestsService } from '../../../../test/testkit/access-requests-service';

const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id version } }`;
const UPDATE_POLICY = `mutation($id: ID!, $input: ApprovalPolicyInput!) { updateApprovalPolicy(id: $id, input: $input) { id version stages { name } } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id name owners { id } } }`;
const UPDATE_APP = `mutation($id: ID!, $input: UpdateApplicationInput!) { updateApplication(id: $id, input: $input) { id name description riskLevel } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id name baseAccess maxDuration } }`;
const APPS = `{ applications { totalCount edges { node { name entitlements { name baseAccess policy { name version } } } } } }`;
const REQUEST = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id currentStage { name } } }`;
const READ = `query($id: ID!) { accessRequest(id: $id) { policy { version } currentStage { name } } }`;

const STAGE = { name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'P2D' };
type Res = { errors?: { extensions?: { code?: string; reason?: string; field?: string } }[] };
const refusal = (res: Res) => {
  const e = res.errors?.[0]?.extensions;
  return e ? `${e.code} ${e.reason ?? ''} ${e.field ?? ''}`.trim() : 'ok';
};

describe('the catalogue and its approval policies (real database and broker)', () => {
  const svc = accessRequestsService();
  const admin = svc.as('adm', ['admin']);
  let appId = '';
  let policyId = '';

  beforeAll(async () => {
    await svc.seedOrgs([{ id: 'hq' }]);
    await svc.seedPeople([
      { id: 'adm', org: 'hq', roles: ['admin'] },
      { id: 'owner', org: 'hq' },
      { id: 'boss', org: 'hq' },
      { id: 'alice', org: 'hq', manager: 'boss' },
      { id: 'bob', org: 'hq', manager: 'boss' },
    ]);
    const policy = await svc.call<{ createApprovalPolicy: { id: string } }>(
      POLICY,
      { input: { name: 'Standard', stages: [STAGE] } },
      admin,
    );
    policyId = policy.data!.createApprovalPolicy.id;
    const app = await svc.call<{ createApplication: { id: string } }>(
      APP,
      { input: { name: 'Payroll', ownerIds: ['owner'] } },
      admin,
    );
    appId = app.data!.createApplication.id;
  });

  it('refuses every bad policy with a typed error naming the field, and stores nothing', async () => {
    const count = () => svc.db().collection('approval_policies').countDocuments({});
    const before = await count();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', stages: [STAGE] }, 'BAD_USER_INPUT POLICY.BAD_NAME name'],
      [
        { name: 'P', stages: [{ ...STAGE, deadline: '3 days' }] },
        'BAD_USER_INPUT POLICY.BAD_DURATION stages[0].deadline',
      ],
      [
        { name: 'P', stages: [{ ...STAGE, deadline: 'PT0S' }] },
        'BAD_USER_INPUT POLICY.BAD_DURATION stages[0].deadline',
      ],
      [
        { name: 'P', stages: [{ ...STAGE, approvers: [] }] },
        'BAD_USER_INPUT POLICY.NO_APPROVERS stages[0].approvers',
      ],
      [
        { name: 'P', stages: [{ ...STAGE, approvers: [{ kind: 'USERS' }] }] },
        'BAD_USER_INPUT POLICY.NO_APPROVERS stages[0].approvers[0].userIds',
      ],
      [
        { name: 'P', stages: [{ ...STAGE, approvers: [{ kind: 'MANAGER', userIds: ['x'] }] }] },
        'BAD_USER_INPUT POLICY.BAD_APPROVER stages[0].approvers[0].userIds',
      ],
      [
        { name: 'P', stages: [{ ...STAGE, approvers: [{ kind: 'USERS', userIds: ['ghost'] }] }] },
        'BAD_USER_INPUT POLICY.UNKNOWN_USER stages',
      ],
      [
        { name: 'P', stages: [STAGE], reminders: ['-P1D'] },
        'BAD_USER_INPUT POLICY.BAD_DURATION reminders[0]',
      ],
      [
        {
          name: 'P',
          stages: [STAGE],
          escalation: [{ approvers: [{ kind: 'MANAGERS_MANAGER' }], after: 'soon' }],
        },
        'BAD_USER_INPUT POLICY.BAD_DURATION escalation[0].after',
      ],
    ];
    for (const [input, expected] of cases)
      expect({ input, got: refusal(await svc.call(POLICY, { input }, admin)) }).toEqual({
        input,
        got: expected,
      });
    expect(refusal(await svc.call(POLICY, { input: { name: 'P', stages: [STAGE] } }, svc.as('alice')))).toBe(
      'FORBIDDEN',
    );
    expect(await count()).toBe(before);
  });

  it('refuses bad applications and entitlements, and lets owners manage their application but not create one', async () => {
    expect(refusal(await svc.call(APP, { input: { name: 'payroll', ownerIds: ['owner'] } }, admin))).toBe(
      'CONFLICT APPLICATION.NAME_TAKEN name',
    );
    expect(refusal(await svc.call(APP, { input: { name: 'X', ownerIds: [] } }, admin))).toBe(
      'BAD_USER_INPUT APPLICATION.NO_OWNER ownerIds',
    );
    expect(refusal(await svc.call(APP, { input: { name: 'X', ownerIds: ['ghost'] } }, admin))).toBe(
      'BAD_USER_INPUT APPLICATION.UNKNOWN_USER ownerIds',
    );
    expect(
      refusal(
        await svc.call(APP, { input: { name: 'X', ownerIds: ['owner'], requestableBy: ['nowhere'] } }, admin),
      ),
    ).toBe('BAD_USER_INPUT APPLICATION.UNKNOWN_ORGANIZATION requestableBy');
    expect(refusal(await svc.call(APP, { input: { name: 'X', ownerIds: ['owner'] } }, svc.as('owner')))).toBe(
      'FORBIDDEN',
    );
    expect(
      refusal(await svc.call(UPDATE_APP, { id: appId, input: { description: 'Pay' } }, svc.as('alice'))),
    ).toBe('FORBIDDEN');
    const updated = await svc.call<{ updateApplication: { description: string } }>(
      UPDATE_APP,
      { id: appId, input: { description: 'Salaries', riskLevel: 'CRITICAL' } },
      svc.as('owner'),
    );
    expect(updated.data?.updateApplication).toMatchObject({ description: 'Salaries', riskLevel: 'CRITICAL' });
    const changed = await eventually(async () =>
      svc.events().find((e) => e.type === 'application.updated' && e.subject === appId),
    );
    expect(changed.data.changes).toEqual({
      description: { before: null, after: 'Salaries' },
      riskLevel: { before: 'MEDIUM', after: 'CRITICAL' },
    });

    const account = await svc.call(
      ENT,
      { app: appId, input: { name: 'Account', baseAccess: true, policyId } },
      svc.as('owner'),
    );
    expect(account.errors).toBeUndefined();
    expect(
      refusal(
        await svc.call(ENT, { app: appId, input: { name: 'Other', baseAccess: true, policyId } }, admin),
      ),
    ).toBe('CONFLICT APPLICATION.BASE_ACCESS_TAKEN baseAccess');
    expect(refusal(await svc.call(ENT, { app: appId, input: { name: 'account', policyId } }, admin))).toBe(
      'CONFLICT ENTITLEMENT.NAME_TAKEN name',
    );
    expect(refusal(await svc.call(ENT, { app: appId, input: { name: 'Y', policyId: 'none' } }, admin))).toBe(
      'BAD_USER_INPUT APPLICATION.UNKNOWN_POLICY policyId',
    );
    expect(
      refusal(
        await svc.call(ENT, { app: appId, input: { name: 'Y', policyId, maxDuration: 'forever' } }, admin),
      ),
    ).toBe('BAD_USER_INPUT APPLICATION.BAD_DURATION maxDuration');
    const apps = await svc.call<{
      applications: { totalCount: number; edges: { node: { entitlements: unknown[] } }[] };
    }>(APPS, {}, svc.as('alice'));
    expect(apps.data?.applications.totalCount).toBe(1);
    expect(apps.data?.applications.edges[0]?.node.entitlements).toEqual([
      { name: 'Account', baseAccess: true, policy: { name: 'Standard', version: 1 } },
    ]);
  });

  it('a request keeps the policy version it started with; an edit reaches new requests only', async () => {
    const ent = await svc.call<{ addEntitlement: { id: string } }>(
      ENT,
      { app: appId, input: { name: 'Payslips', policyId } },
      admin,
    );
    const entitlementId = ent.data!.addEntitlement.id;
    const first = await svc.call<{ requestAccess: { id: string } }>(
      REQUEST,
      { input: { entitlementId, justification: 'HR' } },
      svc.as('alice'),
    );
    const edited = await svc.call<{ updateApprovalPolicy: { version: number } }>(
      UPDATE_POLICY,
      {
        id: policyId,
        input: {
          name: 'Standard',
          stages: [
            { ...STAGE, name: 'Line manager' },
            { name: 'Owner', approvers: [{ kind: 'APPLICATION_OWNERS' }], deadline: 'P1D' },
          ],
        },
      },
      admin,
    );
    expect(edited.data?.updateApprovalPolicy.version).toBe(2);
    const second = await svc.call<{ requestAccess: { id: string } }>(
      REQUEST,
      { input: { entitlementId, justification: 'HR' } },
      svc.as('bob'),
    );
    const read = async (id: string) =>
      (
        await svc.call<{ accessRequest: { policy: { version: number }; currentStage: { name: string } } }>(
          READ,
          { id },
          admin,
        )
      ).data!.accessRequest;
    expect(await read(first.data!.requestAccess.id)).toEqual({
      policy: { version: 1 },
      currentStage: { name: 'Manager' },
    });
    expect(await read(second.data!.requestAccess.id)).toEqual({
      policy: { version: 2 },
      currentStage: { name: 'Line manager' },
    });
    const published = await eventually(async () => {
      const list = svc
        .events()
        .filter((e) => e.type === 'approval-policy.published' && e.subject === policyId);
      return list.some((e) => e.data.version === 2) ? list : undefined;
    });
    expect([...new Set(published.map((e) => e.data.version))]).toEqual([1, 2]);
  });
});
