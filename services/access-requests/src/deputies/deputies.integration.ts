import { eventually } from '../../../../test/testkit';
import { accessRequestsService } from '../../../../test/testkit/access-requests-service';

const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`;
const REQUEST = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id } }`;
const APPROVE = `mutation($id: ID!, $onBehalfOf: ID) { approveAccessRequest(id: $id, onBehalfOf: $onBehalfOf) {
  status timeline { action actorId onBehalfOf { id } }
} }`;
const TASKS = `{ myApprovals { edges { node { request { id } approver { id } actingAs delegationId via { id } } } } }`;

interface Task {
  request: { id: string };
  approver: { id: string };
  actingAs: string;
  delegationId: string | null;
  via: { id: string } | null;
}

/**
 * Deputies come from the delegation service's events. Unlike the usual products, a task that is
 * open when a delegation starts reaches the deputy too, and leaves them when it ends.
 */
describe('deputies on open tasks (real database and broker)', () => {
  const svc = accessRequestsService();
  const admin = svc.as('adm', ['admin']);
  let wiki = '';
  let crmEntitlement = '';
  let wikiEntitlement = '';

  beforeAll(async () => {
    await svc.seedOrgs([{ id: 'hq' }]);
    await svc.seedPeople([
      { id: 'boss', org: 'hq' },
      { id: 'amy', org: 'hq', manager: 'boss' },
      { id: 'ann', org: 'hq', manager: 'boss' },
      { id: 'al', org: 'hq', manager: 'boss' },
      { id: 'ali', org: 'hq', manager: 'boss' },
      { id: 'abe', org: 'hq', manager: 'boss' },
      { id: 'dep', org: 'hq' },
      { id: 'dep2', org: 'hq' },
      { id: 'owner', org: 'hq' },
      { id: 'adm', org: 'hq', roles: ['admin'] },
    ]);
    const policy = await svc.call<{ createApprovalPolicy: { id: string } }>(
      POLICY,
      {
        input: {
          name: 'Manager',
          stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'P3D' }],
        },
      },
      admin,
    );
    const policyId = policy.data!.createApprovalPolicy.id;
    for (const name of ['CRM', 'Wiki']) {
      const app = await svc.call<{ createApplication: { id: string } }>(
        APP,
        { input: { name, ownerIds: ['owner'] } },
        admin,
      );
      const id = app.data!.createApplication.id;
      const ent = await svc.call<{ addEntitlement: { id: string } }>(
        ENT,
        { app: id, input: { name: 'User', policyId } },
        admin,
      );
      if (name === 'CRM') crmEntitlement = ent.data!.addEntitlement.id;
      else [wiki, wikiEntitlement] = [id, ent.data!.addEntitlement.id];
    }
  });

  const ask = async (who: string, entitlementId: string) => {
    const res = await svc.call<{ requestAccess: { id: string } }>(
      REQUEST,
      { input: { entitlementId, justification: 'Work' } },
      svc.as(who),
    );
    expect(res.errors).toBeUndefined();
    return res.data!.requestAccess.id;
  };
  const tasksOf = async (who: string) =>
    (
      await svc.call<{ myApprovals: { edges: { node: Task }[] } }>(TASKS, {}, svc.as(who))
    ).data!.myApprovals.edges.map((e) => e.node);
  const delegate = (
    id: string,
    from: string,
    to: string,
    scope: { kind: string; applicationIds: string[] },
    further = false,
  ) =>
    svc.publish('delegation.created', id, {
      delegationId: id,
      delegatorId: from,
      delegatorName: from,
      deputyId: to,
      scope,
      validFrom: new Date(Date.now() - 1_000).toISOString(),
      validTo: new Date(Date.now() + 86_400_000).toISOString(),
      reason: 'Holiday',
      allowFurtherDelegation: further,
    });
  const end = (id: string, from: string, to: string) =>
    svc.publish('delegation.ended', id, {
      delegationId: id,
      delegatorId: from,
      delegatorName: from,
      deputyId: to,
      endedBy: from,
      reason: null,
    });

  it('when a delegation starts while a task is open, then the deputy sees it and can act for the approver; when it ends, the task leaves them', async () => {
    const open = await ask('amy', crmEntitlement);
    expect(await tasksOf('dep')).toEqual([]);
    await delegate('d1', 'boss', 'dep', { kind: 'ALL', applicationIds: [] });
    const seen = await eventually(async () => (await tasksOf('dep')).find((t) => t.request.id === open));
    expect(seen).toMatchObject({
      approver: { id: 'boss' },
      actingAs: 'DEPUTY',
      delegationId: 'd1',
      via: null,
    });
    // The approver keeps the task too.
    expect((await tasksOf('boss')).map((t) => t.request.id)).toContain(open);

    const later = await ask('ann', crmEntitlement);
    await end('d1', 'boss', 'dep');
    await eventually(async () => (await tasksOf('dep')).length === 0 || undefined);
    const refused = await svc.call(APPROVE, { id: later }, svc.as('dep'));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // The approver still decides.
    for (const id of [open, later]) {
      const decided = await svc.call<{ approveAccessRequest: { status: string } }>(
        APPROVE,
        { id },
        svc.as('boss'),
      );
      expect(decided.data?.approveAccessRequest.status).toBe('APPROVED');
    }
  });

  it('a deputy decides on behalf of the approver, and the record says so; a deputy of another application cannot', async () => {
    await delegate('d2', 'boss', 'dep', { kind: 'APPLICATIONS', applicationIds: [wiki] });
    const onWiki = await ask('al', wikiEntitlement);
    const onCrm = await ask('ali', crmEntitlement);
    await eventually(async () => (await tasksOf('dep')).some((t) => t.request.id === onWiki) || undefined);
    expect((await tasksOf('dep')).map((t) => t.request.id)).not.toContain(onCrm);
    expect((await svc.call(APPROVE, { id: onCrm }, svc.as('dep'))).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );

    const res = await svc.call<{
      approveAccessRequest: {
        status: string;
        timeline: { action: string; actorId: string; onBehalfOf: { id: string } | null }[];
      };
    }>(APPROVE, { id: onWiki }, svc.as('dep'));
    expect(res.data?.approveAccessRequest.status).toBe('APPROVED');
    expect(res.data?.approveAccessRequest.timeline).toContainEqual({
      action: 'APPROVED_TASK',
      actorId: 'dep',
      onBehalfOf: { id: 'boss' },
    });
    const decided = await eventually(async () => svc.eventsOf('approval.decided', onWiki)[0]);
    expect(decided).toMatchObject({
      actor: 'dep',
      onbehalfof: 'boss',
      data: { approverId: 'boss', decidedBy: 'dep' },
    });
    await end('d2', 'boss', 'dep');
    // Whichever of the two acts first wins: the approver finds the crm task still theirs.
    expect(
      (await svc.call<{ approveAccessRequest: { status: string } }>(APPROVE, { id: onCrm }, svc.as('boss')))
        .data?.approveAccessRequest.status,
    ).toBe('APPROVED');
  });

  it("a deputy's deputy acts only when the approver allowed one more hop", async () => {
    await delegate('d3', 'boss', 'dep', { kind: 'ALL', applicationIds: [] }, false);
    await delegate('d4', 'dep', 'dep2', { kind: 'ALL', applicationIds: [] });
    const first = await ask('abe', crmEntitlement);
    await eventually(async () => (await tasksOf('dep')).some((t) => t.request.id === first) || undefined);
    expect((await tasksOf('dep2')).map((t) => t.request.id)).not.toContain(first);
    await end('d3', 'boss', 'dep');
    await delegate('d5', 'boss', 'dep', { kind: 'ALL', applicationIds: [] }, true);
    const viaDep = await eventually(async () => (await tasksOf('dep2')).find((t) => t.request.id === first));
    expect(viaDep).toMatchObject({ approver: { id: 'boss' }, actingAs: 'DEPUTY', via: { id: 'dep' } });
    const res = await svc.call<{ approveAccessRequest: { status: string } }>(
      APPROVE,
      { id: first },
      svc.as('dep2'),
    );
    expect(res.data?.approveAccessRequest.status).toBe('APPROVED');
  });

  it('a task assigned while delegations are active names the deputies in its event, the second hop included', async () => {
    // d5 (boss to dep, one more hop allowed) and d4 (dep to dep2) are active from the test before.
    const id = await ask('ann', wikiEntitlement);
    const assigned = await eventually(async () => svc.eventsOf('approval.task-assigned', id)[0]);
    expect(assigned.data.deputies).toEqual([
      { userId: 'dep', forUserId: 'boss', delegationId: 'd5' },
      { userId: 'dep2', forUserId: 'boss', delegationId: 'd5' },
    ]);
  });
});
