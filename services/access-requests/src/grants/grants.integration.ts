import { eventually } from '../../../../test/testkit';
import { accessRequestsService } from '../../../../test/testkit/access-requests-service';

const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`;
const GRANT = `mutation($input: GrantAccessInput!) { grantAccess(input: $input) { id status validFrom validTo source } }`;
const REVOKE = `mutation($id: ID!, $reason: String!) { revokeGrant(id: $id, reason: $reason) { id status revocationCause endReason } }`;
const REQUEST = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status } }`;
const EXTEND = `mutation($grantId: ID!, $validTo: String!) {
  requestExtension(grantId: $grantId, validTo: $validTo, justification: "Project runs longer") { id kind status }
}`;
const REMOVE = `mutation($grantId: ID!) {
  requestRemoval(grantId: $grantId, justification: "Moved to another team") { id kind status }
}`;
const APPROVE = `mutation($id: ID!) { approveAccessRequest(id: $id) { status } }`;
const READ_GRANT = `query($id: ID!) { grant(id: $id) { id status validTo source revocationCause rule { id } } }`;
const GRANTS = `query($filter: GrantFilter!) { grants(filter: $filter) { totalCount edges { node { id status source beneficiary { id } } } } }`;
const RULE = `mutation($input: BirthrightRuleInput!) { createBirthrightRule(input: $input) { id } }`;
const DELETE_RULE = `mutation($id: ID!) { deleteBirthrightRule(id: $id) { id deleted } }`;

interface GrantRow {
  id: string;
  status: string;
  source: string;
  validTo: string | null;
  revocationCause: string | null;
  rule: { id: string } | null;
}

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('grants on their dates, on termination, and by birthright (real database and broker)', () => {
  const svc = accessRequestsService();
  const admin = svc.as('adm', ['admin']);
  let appId = '';
  const ent: Record<string, string> = {};

  beforeAll(async () => {
    await svc.seedOrgs([
      { id: 'hq' },
      { id: 'eng', parentId: 'hq' },
      { id: 'web', parentId: 'eng' },
      { id: 'fin', parentId: 'hq' },
    ]);
    await svc.seedPeople([
      { id: 'adm', org: 'hq', roles: ['admin'] },
      { id: 'owner', org: 'hq' },
      { id: 'lead', org: 'eng' },
      { id: 'gina', org: 'eng', manager: 'lead' },
      { id: 'leo', org: 'eng', manager: 'lead' },
      { id: 'wes', org: 'web', manager: 'lead' },
      { id: 'cara', org: 'web', manager: 'lead', type: 'CONTRACTOR' },
      { id: 'fay', org: 'fin' },
      { id: 'stranger', org: 'fin' },
    ]);
    const policy = await svc.call<{ createApprovalPolicy: { id: string } }>(
      POLICY,
      {
        input: {
          name: 'Owner',
          stages: [{ name: 'Owner', approvers: [{ kind: 'APPLICATION_OWNERS' }], deadline: 'P1D' }],
        },
      },
      admin,
    );
    const app = await svc.call<{ createApplication: { id: string } }>(
      APP,
      { input: { name: 'Git', ownerIds: ['owner'] } },
      admin,
    );
    appId = app.data!.createApplication.id;
    for (const name of ['Read', 'Write', 'Admin', 'Deploy']) {
      const res = await svc.call<{ addEntitlement: { id: string } }>(
        ENT,
        { app: appId, input: { name, policyId: policy.data!.createApprovalPolicy.id } },
        admin,
      );
      ent[name] = res.data!.addEntitlement.id;
    }
  });

  const grant = async (input: Record<string, unknown>) => {
    const res = await svc.call<{ grantAccess: GrantRow & { validFrom: string } }>(
      GRANT,
      { input: { reason: 'Team lead asked', ...input } },
      svc.as('owner'),
    );
    expect(res.errors).toBeUndefined();
    return res.data!.grantAccess;
  };
  const readGrant = async (id: string) =>
    (await svc.call<{ grant: GrantRow }>(READ_GRANT, { id }, admin)).data!.grant;

  it('a grant starts on its start date, is announced 7 days (or less) ahead of its end, and expires at it', async () => {
    const g = await grant({
      beneficiaryId: 'gina',
      entitlementId: ent.Write,
      validFrom: inSeconds(1.5),
      validTo: inSeconds(4),
    });
    expect(g).toMatchObject({ status: 'SCHEDULED', source: 'ADMINISTRATOR' });
    await eventually(async () => (await readGrant(g.id)).status === 'ACTIVE' || undefined, 10_000);
    await eventually(async () => svc.eventsOf('grant.expiring', g.id)[0], 10_000);
    await eventually(async () => (await readGrant(g.id)).status === 'EXPIRED' || undefined, 15_000);
    const types = [
      ...new Set(
        svc
          .events()
          .filter((e) => e.subject === g.id)
          .map((e) => e.type),
      ),
    ];
    expect(types).toEqual(['grant.created', 'grant.started', 'grant.expiring', 'grant.expired']);
    // The holding went with it: the same access may be given again.
    expect((await grant({ beneficiaryId: 'gina', entitlementId: ent.Write })).status).toBe('ACTIVE');
  });

  it('a second live grant of the same entitlement is refused; a revocation needs a reason and ends it once', async () => {
    const g = await grant({ beneficiaryId: 'leo', entitlementId: ent.Read });
    const again = await svc.call(
      GRANT,
      { input: { beneficiaryId: 'leo', entitlementId: ent.Read, reason: 'x' } },
      admin,
    );
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'GRANT.ALREADY_HELD' });
    expect((await svc.call(REVOKE, { id: g.id, reason: ' ' }, admin)).errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (await svc.call(REVOKE, { id: g.id, reason: 'Left the project' }, svc.as('stranger'))).errors?.[0]
        ?.extensions?.code,
    ).toBe('FORBIDDEN');
    const revoked = await svc.call<{ revokeGrant: GrantRow & { endReason: string } }>(
      REVOKE,
      { id: g.id, reason: 'Left the project' },
      svc.as('owner'),
    );
    expect(revoked.data?.revokeGrant).toMatchObject({
      status: 'REVOKED',
      revocationCause: 'MANUAL',
      endReason: 'Left the project',
    });
    expect(
      (await svc.call(REVOKE, { id: g.id, reason: 'again' }, admin)).errors?.[0]?.extensions,
    ).toMatchObject({
      code: 'CONFLICT',
      reason: 'GRANT.NOT_LIVE',
    });
    expect((await eventually(async () => svc.eventsOf('grant.revoked', g.id)[0])).data).toMatchObject({
      cause: 'MANUAL',
    });
  });

  it('an extension goes through the policy and moves the end of the grant once approved', async () => {
    const g = await grant({ beneficiaryId: 'leo', entitlementId: ent.Deploy, validTo: inSeconds(86_400) });
    const later = inSeconds(10 * 86_400);
    const bad = await svc.call(EXTEND, { grantId: g.id, validTo: inSeconds(3_600) }, svc.as('leo'));
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'ACCESS_REQUEST.PERIOD',
    });
    expect(
      (await svc.call(EXTEND, { grantId: g.id, validTo: later }, svc.as('stranger'))).errors?.[0]?.extensions
        ?.code,
    ).toBe('FORBIDDEN');
    const asked = await svc.call<{ requestExtension: { id: string; kind: string; status: string } }>(
      EXTEND,
      { grantId: g.id, validTo: later },
      svc.as('lead'),
    );
    expect(asked.data?.requestExtension).toMatchObject({ kind: 'EXTENSION', status: 'PENDING' });
    expect(
      (await svc.call(EXTEND, { grantId: g.id, validTo: later }, svc.as('leo'))).errors?.[0]?.extensions
        ?.reason,
    ).toBe('ACCESS_REQUEST.ALREADY_PENDING');
    await svc.call(APPROVE, { id: asked.data!.requestExtension.id }, svc.as('owner'));
    await eventually(async () => (await readGrant(g.id)).validTo === later || undefined);
    expect((await eventually(async () => svc.eventsOf('grant.extended', g.id)[0])).data).toMatchObject({
      validTo: later,
      requestId: asked.data!.requestExtension.id,
    });
  });

  it("a removal goes through the policy, asked by the holder's line manager, and revokes the grant once approved", async () => {
    const g = await grant({ beneficiaryId: 'leo', entitlementId: ent.Read });
    expect(
      (await svc.call(REMOVE, { grantId: g.id }, svc.as('stranger'))).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const asked = await svc.call<{ requestRemoval: { id: string; kind: string; status: string } }>(
      REMOVE,
      { grantId: g.id },
      svc.as('lead'),
    );
    expect(asked.data?.requestRemoval).toMatchObject({ kind: 'REMOVAL', status: 'PENDING' });
    expect((await svc.call(REMOVE, { grantId: g.id }, svc.as('leo'))).errors?.[0]?.extensions?.reason).toBe(
      'ACCESS_REQUEST.ALREADY_PENDING',
    );
    // Still held while the removal waits for its approver.
    expect((await readGrant(g.id)).status).toBe('ACTIVE');
    await svc.call(APPROVE, { id: asked.data!.requestRemoval.id }, svc.as('owner'));
    const revoked = await eventually(async () => svc.eventsOf('grant.revoked', g.id)[0]);
    expect(revoked.data).toMatchObject({ cause: 'REQUEST' });
    expect((await readGrant(g.id)).status).toBe('REVOKED');
  });

  it('when a user is terminated, then all their grants are revoked and their pending requests expire', async () => {
    const g1 = await grant({ beneficiaryId: 'fay', entitlementId: ent.Read });
    const g2 = await grant({ beneficiaryId: 'fay', entitlementId: ent.Deploy, validFrom: inSeconds(3_600) });
    const pending = await svc.call<{ requestAccess: { id: string } }>(
      REQUEST,
      { input: { entitlementId: ent.Write, justification: 'Needed' } },
      svc.as('fay'),
    );
    await svc.publish('user.terminated', 'fay', {
      userId: 'fay',
      status: 'TERMINATED',
      previousStatus: 'ACTIVE',
      trigger: 'ON_DEMAND',
    });
    for (const id of [g1.id, g2.id]) {
      const revoked = await eventually(async () => svc.eventsOf('grant.revoked', id)[0]);
      expect(revoked.data).toMatchObject({ cause: 'TERMINATION' });
      expect(revoked.actor).toBe('system:leaver');
    }
    const expired = await eventually(
      async () => svc.eventsOf('access-request.expired', pending.data!.requestAccess.id)[0],
    );
    expect(expired.data).toMatchObject({ reason: 'BENEFICIARY_TERMINATED' });
  });

  it('a birthright rule grants on creation to everyone it covers, on activation to a joiner, and takes the grant back on a move out', async () => {
    // Engineering and its subtree, employees only: gina, leo, lead, wes; not the contractor cara.
    const res = await svc.call<{ createBirthrightRule: { id: string } }>(
      RULE,
      {
        input: {
          name: 'Engineers read Git',
          organizationId: 'eng',
          employeeType: 'EMPLOYEE',
          entitlementId: ent.Read,
        },
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const ruleId = res.data!.createBirthrightRule.id;
    const holders = async () =>
      (
        await svc.call<{ grants: { edges: { node: { source: string; beneficiary: { id: string } } }[] } }>(
          GRANTS,
          { filter: { entitlementId: ent.Read } },
          admin,
        )
      )
        .data!.grants.edges.filter((e) => e.node.source === 'BIRTHRIGHT')
        .map((e) => e.node.beneficiary.id)
        .sort();
    await eventually(async () => ((await holders()).length === 4 ? true : undefined), 20_000);
    expect(await holders()).toEqual(['gina', 'lead', 'leo', 'wes']);

    // A joiner: pending first (nothing yet), then activated.
    await svc.seedPeople([{ id: 'joy', org: 'web', manager: 'lead', status: 'PENDING' }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await holders()).not.toContain('joy');
    await svc.publish('user.activated', 'joy', {
      userId: 'joy',
      status: 'ACTIVE',
      previousStatus: 'PENDING',
      trigger: 'SCHEDULE',
    });
    await eventually(async () => (await holders()).includes('joy') || undefined);

    // A mover out of engineering loses it; the grant says why.
    await svc.publish('user.moved', 'wes', {
      userId: 'wes',
      before: { organizationId: 'web', managerId: 'lead', employeeType: 'EMPLOYEE' },
      after: { organizationId: 'fin', managerId: null, employeeType: 'EMPLOYEE' },
    });
    await eventually(async () => !(await holders()).includes('wes') || undefined);
    const revoked = svc.events().find((e) => e.type === 'grant.revoked' && e.data.beneficiaryId === 'wes');
    expect(revoked?.data).toMatchObject({ cause: 'BIRTHRIGHT_NO_LONGER_MATCHES' });

    // Deleting the rule takes back what it gave.
    await svc.call(DELETE_RULE, { id: ruleId }, admin);
    await eventually(async () => ((await holders()).length === 0 ? true : undefined), 20_000);
    const causes = svc.events().filter((e) => e.type === 'grant.revoked' && e.data.cause === 'RULE_DELETED');
    expect(new Set(causes.map((e) => e.data.beneficiaryId)).size).toBe(4);
  });

  it('grants are visible to their holder, their managers, the application owners and administrators only', async () => {
    const g = await grant({ beneficiaryId: 'cara', entitlementId: ent.Admin });
    const mine = await svc.call<{ grants: { totalCount: number } }>(
      GRANTS,
      { filter: { beneficiaryId: 'cara' } },
      svc.as('cara'),
    );
    expect(mine.data?.grants.totalCount).toBe(1);
    expect(
      (await svc.call(GRANTS, { filter: { beneficiaryId: 'cara' } }, svc.as('lead'))).errors,
    ).toBeUndefined();
    expect(
      (await svc.call(GRANTS, { filter: { applicationId: appId } }, svc.as('owner'))).errors,
    ).toBeUndefined();
    // A denied read is an empty page, as for a person or an application without grants.
    const none = { data: { grants: { totalCount: 0, edges: [] } }, status: 200 };
    expect(await svc.call(GRANTS, { filter: { beneficiaryId: 'cara' } }, svc.as('stranger'))).toEqual(none);
    expect(await svc.call(GRANTS, { filter: { applicationId: appId } }, svc.as('cara'))).toEqual(none);
    expect((await svc.call(GRANTS, { filter: {} }, admin)).errors?.[0]?.extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (await svc.call<{ grant: unknown }>(READ_GRANT, { id: g.id }, svc.as('stranger'))).data?.grant,
    ).toBeNull();
  });
});
