import { eventually } from '../../../../test/testkit';
import { accessRequestsService } from '../../../../test/testkit/access-requests-service';

const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`;
const REQUEST = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status } }`;
const APPROVE = `mutation($id: ID!) { approveAccessRequest(id: $id) { id status outcome } }`;
const READ = `query($id: ID!) { accessRequest(id: $id) {
  status outcome currentStage { level approvers { user { id } level } }
  timeline { action actorId level users { id } comment }
} }`;

interface Read {
  accessRequest: {
    status: string;
    outcome: string | null;
    currentStage: { level: number; approvers: { user: { id: string }; level: number }[] };
    timeline: { action: string; actorId: string; level: number | null; users: { id: string }[] }[];
  };
}

/**
 * Deadlines of a few seconds: a stage of 3 s with a reminder 1.5 s before it, an escalation chain
 * of two levels of 3 s each (the manager's manager, then a fallback user), then the final action.
 */
describe('approval timers: reminders, escalation, final action (real database and broker)', () => {
  const svc = accessRequestsService();
  const admin = svc.as('adm', ['admin']);
  let entitlementId = '';
  let approveOnTimeout = '';

  beforeAll(async () => {
    await svc.seedOrgs([{ id: 'hq' }]);
    await svc.seedPeople([
      { id: 'boss', org: 'hq' },
      { id: 'mgr', org: 'hq', manager: 'boss' },
      { id: 'emp', org: 'hq', manager: 'mgr' },
      { id: 'emp2', org: 'hq', manager: 'mgr' },
      { id: 'emp3', org: 'hq', manager: 'mgr' },
      { id: 'emp4', org: 'hq', manager: 'mgr' },
      { id: 'emp5', org: 'hq', manager: 'mgr' },
      { id: 'emp6', org: 'hq', manager: 'mgr' },
      { id: 'fallback', org: 'hq' },
      { id: 'owner', org: 'hq' },
      { id: 'adm', org: 'hq', roles: ['admin'] },
    ]);
    const policy = await svc.call<{ createApprovalPolicy: { id: string } }>(
      POLICY,
      {
        input: {
          name: 'Fast',
          stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'PT3S' }],
          reminders: ['PT1.5S'],
          escalation: [
            { approvers: [{ kind: 'MANAGERS_MANAGER' }], after: 'PT3S' },
            { approvers: [{ kind: 'USERS', userIds: ['fallback'] }], after: 'PT3S' },
          ],
          finalAction: 'REJECT',
        },
      },
      admin,
    );
    expect(policy.errors).toBeUndefined();
    const lenient = await svc.call<{ createApprovalPolicy: { id: string } }>(
      POLICY,
      {
        input: {
          name: 'Lenient',
          stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'PT2S' }],
          finalAction: 'APPROVE',
        },
      },
      admin,
    );
    const app = await svc.call<{ createApplication: { id: string } }>(
      APP,
      { input: { name: 'Wiki', ownerIds: ['owner'] } },
      admin,
    );
    const ent = await svc.call<{ addEntitlement: { id: string } }>(
      ENT,
      {
        app: app.data!.createApplication.id,
        input: { name: 'Editor', policyId: policy.data!.createApprovalPolicy.id },
      },
      admin,
    );
    entitlementId = ent.data!.addEntitlement.id;
    const auto = await svc.call<{ addEntitlement: { id: string } }>(
      ENT,
      {
        app: app.data!.createApplication.id,
        input: { name: 'Reader', policyId: lenient.data!.createApprovalPolicy.id, allowAutoApproval: true },
      },
      admin,
    );
    approveOnTimeout = auto.data!.addEntitlement.id;
  });

  const submit = async (who: string, entitlement = entitlementId) => {
    const res = await svc.call<{ requestAccess: { id: string } }>(
      REQUEST,
      { input: { entitlementId: entitlement, justification: 'Edit the handbook' } },
      svc.as(who),
    );
    expect(res.errors).toBeUndefined();
    return res.data!.requestAccess.id;
  };
  const read = async (id: string) => (await svc.call<Read>(READ, { id }, admin)).data!.accessRequest;

  it('when nobody decides, then a reminder, an escalation that keeps the manager in, a second level, and finally a rejection', async () => {
    const id = await submit('emp');
    const reminder = await eventually(async () => svc.eventsOf('approval.reminder', id)[0], 10_000);
    expect(reminder.data).toMatchObject({ recipients: ['mgr'], level: 0, stage: 0 });
    expect(reminder.actor).toBe('system:approval-scheduler');

    const first = await eventually(async () => svc.eventsOf('approval.escalated', id)[0], 10_000);
    expect(first.data).toMatchObject({
      fromLevel: 0,
      toLevel: 1,
      reason: 'DEADLINE_PASSED',
      earlierApprovers: ['mgr'],
      assignees: [{ userId: 'boss', reason: 'MANAGERS_MANAGER' }],
    });
    expect(first.data.waitedSeconds).toBeGreaterThanOrEqual(3);
    expect(first.data.waited).toMatch(/^PT\d+(\.\d+)?S$/);
    const level1 = await read(id);
    expect(level1.currentStage.approvers.map((a) => `${a.user.id}@${a.level}`)).toEqual(['mgr@0', 'boss@1']);

    const rejected = await eventually(async () => svc.eventsOf('access-request.rejected', id)[0], 20_000);
    expect(rejected.data).toMatchObject({ outcome: 'FINAL_ACTION' });
    const escalations = svc
      .eventsOf('approval.escalated', id)
      .map((e) => `${e.data.fromLevel}>${e.data.toLevel}`);
    expect([...new Set(escalations)]).toEqual(['0>1', '1>2']);
    const done = await read(id);
    expect(done).toMatchObject({ status: 'REJECTED', outcome: 'FINAL_ACTION' });
    expect(done.timeline.map((e) => e.action)).toEqual([
      'SUBMITTED',
      'ASSIGNED',
      'REMINDED',
      'ESCALATED',
      'REMINDED',
      'ESCALATED',
      'REMINDED',
      'REJECTED',
    ]);
  });

  it('when the request has escalated, then the earlier approver can still decide it', async () => {
    const id = await submit('emp2');
    await eventually(async () => svc.eventsOf('approval.escalated', id)[0], 10_000);
    const res = await svc.call<{ approveAccessRequest: { status: string } }>(APPROVE, { id }, svc.as('mgr'));
    expect(res.data?.approveAccessRequest.status).toBe('APPROVED');
  });

  it('a final action approves where the entitlement allows it', async () => {
    const id = await submit('emp3', approveOnTimeout);
    const approved = await eventually(async () => svc.eventsOf('access-request.approved', id)[0], 10_000);
    expect(approved.data).toMatchObject({ outcome: 'FINAL_ACTION', grantId: `g-${id}` });
    await eventually(async () => svc.eventsOf('grant.created', `g-${id}`)[0], 10_000);
  });

  it('when two replicas run the scheduler, then every escalation happens once; and a restart catches up on a deadline that passed while down', async () => {
    const replica = await svc.replica();
    const ids = [];
    for (const who of ['emp4', 'emp5', 'emp6']) ids.push(await submit(who));
    for (const id of ids) await eventually(async () => svc.eventsOf('approval.escalated', id)[0], 15_000);

    // The main instance goes down before the next level falls due; the replica stops too.
    await replica.stop();
    await svc.stopped();
    await new Promise((r) => setTimeout(r, 4_000)); // past the second level's deadline
    expect(ids.every((id) => !svc.eventsOf('approval.escalated', id).some((e) => e.data.toLevel === 2))).toBe(
      true,
    );
    await svc.start();
    for (const id of ids)
      await eventually(async () => svc.eventsOf('access-request.rejected', id)[0], 20_000);
    for (const id of ids) {
      // Delivery is at least once: count distinct events, one per level.
      const distinct = new Map(svc.eventsOf('approval.escalated', id).map((e) => [e.id, e.data.toLevel]));
      expect([...distinct.values()].sort()).toEqual([1, 2]);
      expect(new Set(svc.eventsOf('access-request.rejected', id).map((e) => e.id)).size).toBe(1);
    }
  });
});
