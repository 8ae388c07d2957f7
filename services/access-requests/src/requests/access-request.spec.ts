import type { ApproverSpec, PolicyDefinition } from '../policies/approval-policy';
import {
  cancel,
  decide,
  fireTimers,
  forward,
  nextDue,
  reroute,
  submit,
  type AccessRequest,
  type Assignee,
  type Outcome,
  type StepContext,
} from './access-request';

const T0 = new Date('2027-03-01T09:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/** Who each approver kind names in these tests. */
const DIRECTORY: Record<string, Assignee[]> = {
  MANAGER: [{ userId: 'mia', reason: 'MANAGER' }],
  MANAGERS_MANAGER: [{ userId: 'max', reason: 'MANAGERS_MANAGER' }],
  APPLICATION_OWNERS: [
    { userId: 'olga', reason: 'APPLICATION_OWNER' },
    { userId: 'oscar', reason: 'APPLICATION_OWNER' },
  ],
  ORGANIZATION_ADMINS: [{ userId: 'ada', reason: 'ORGANIZATION_ADMIN' }],
};
const resolve = (specs: readonly ApproverSpec[]): Assignee[] =>
  specs.flatMap((s) =>
    s.kind === 'USERS'
      ? (s.userIds ?? []).map((userId) => ({ userId, reason: 'NAMED_USER' as const }))
      : (DIRECTORY[s.kind] ?? []),
  );
const ctx = (actor: string, now = T0, r = resolve): StepContext => ({ actor, now, resolve: r });

function policy(change: Partial<PolicyDefinition> = {}): PolicyDefinition {
  return {
    stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], rule: 'ANY', deadline: 'PT1H' }],
    reminders: [],
    escalation: [],
    finalAction: 'REJECT',
    whenNoApprover: 'ESCALATE',
    ...change,
  };
}

function request(
  definition: PolicyDefinition,
  change: { requesterId?: string; allowAutoApproval?: boolean } = {},
): Outcome {
  return submit(
    {
      _id: 'r1',
      kind: 'ACCESS',
      grantId: null,
      beneficiaryId: 'bea',
      beneficiaryName: 'Bea',
      requesterId: change.requesterId ?? 'bea',
      applicationId: 'crm',
      applicationName: 'CRM',
      entitlementId: 'crm-sales',
      entitlementName: 'Sales',
      justification: 'New in sales',
      validFrom: T0,
      validTo: null,
      policy: { id: 'p1', version: 1, name: 'P', definition },
      allowAutoApproval: change.allowAutoApproval ?? false,
    },
    ctx(change.requesterId ?? 'bea'),
  );
}

const types = (o: Outcome) => o.events.map((e) => e.type);
const approve = (
  r: AccessRequest,
  actor: string,
  actsFor: string[] = [],
  onBehalfOf: string | null = null,
  now = T0,
) => decide(r, { decision: 'APPROVE', comment: null, onBehalfOf }, new Set(actsFor), ctx(actor, now));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    const e = err as { extensions?: { code?: string; reason?: string } };
    return `${e.extensions?.code}${e.extensions?.reason ? ` ${e.extensions.reason}` : ''}`;
  }
};

describe('an access request under its approval policy', () => {
  it('when submitted under a one-stage policy, then the manager gets the task with its deadline, and their approval makes a grant', () => {
    const submitted = request(policy());
    expect(submitted.next).toMatchObject({ status: 'PENDING', approverIds: ['mia'], dueAt: at(60) });
    expect(types(submitted)).toEqual(['access-request.submitted', 'approval.task-assigned']);
    expect(submitted.events[1]?.data).toMatchObject({
      assignees: [{ userId: 'mia', reason: 'MANAGER' }],
      deadline: at(60).toISOString(),
    });

    const approved = approve(submitted.next, 'mia');
    expect(approved.next).toMatchObject({
      status: 'APPROVED',
      outcome: 'APPROVED',
      grantId: 'g-r1',
      approverIds: [],
      dueAt: null,
    });
    expect(types(approved)).toEqual(['approval.decided', 'access-request.approved']);
    expect(approved.effects).toEqual([{ kind: 'CREATE_GRANT' }, { kind: 'RELEASE_PENDING' }]);
    expect(approved.next.timeline.map((e) => e.action)).toEqual([
      'SUBMITTED',
      'ASSIGNED',
      'APPROVED_TASK',
      'STAGE_COMPLETED',
      'APPROVED',
    ]);
  });

  it('when a policy has three stages, then each starts when the one before completes, and the last approval approves', () => {
    const three = policy({
      stages: [
        { name: 'Manager', approvers: [{ kind: 'MANAGER' }], rule: 'ANY', deadline: 'P1D' },
        { name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], rule: 'ANY', deadline: 'P2D' },
        {
          name: 'Security',
          approvers: [{ kind: 'USERS', userIds: ['sec1', 'sec2'] }],
          rule: 'ALL',
          deadline: 'P3D',
        },
      ],
    });
    let r = request(three).next;
    r = approve(r, 'mia').next;
    expect(r.stage).toMatchObject({ index: 1, name: 'Owners' });
    expect(r.approverIds).toEqual(['olga', 'oscar']);
    r = approve(r, 'oscar').next; // ANY: one owner is enough
    expect(r.approverIds).toEqual(['sec1', 'sec2']);
    const half = approve(r, 'sec2');
    expect(half.next).toMatchObject({ status: 'PENDING', approverIds: ['sec1'] }); // ALL: sec1 still owes
    expect(types(half)).toEqual(['approval.decided']);
    const done = approve(half.next, 'sec1');
    expect(done.next.status).toBe('APPROVED');
  });

  it('when someone rejects, then a comment is required and the request ends rejected', () => {
    const r = request(policy()).next;
    expect(
      codeOf(() => decide(r, { decision: 'REJECT', comment: '  ', onBehalfOf: null }, new Set(), ctx('mia'))),
    ).toBe('BAD_USER_INPUT ACCESS_REQUEST.COMMENT_REQUIRED');
    const rejected = decide(
      r,
      { decision: 'REJECT', comment: 'Not in this team', onBehalfOf: null },
      new Set(),
      ctx('mia'),
    );
    expect(rejected.next).toMatchObject({ status: 'REJECTED', outcome: 'REJECTED' });
    expect(rejected.events[1]).toMatchObject({
      type: 'access-request.rejected',
      data: { comment: 'Not in this team' },
    });
    expect(rejected.effects).toEqual([{ kind: 'RELEASE_PENDING' }]);
  });

  it('four eyes: the beneficiary and the requester are never approvers and cannot decide, even as deputies', () => {
    // The manager requests for their report: the manager is the requester, so the stage has nobody
    // but the manager's manager through escalation.
    const r = request(
      policy({
        escalation: [{ approvers: [{ kind: 'MANAGER' }, { kind: 'MANAGERS_MANAGER' }], after: 'PT1H' }],
      }),
      { requesterId: 'mia' },
    ).next;
    expect(r.stage?.slots.map((s) => s.userId)).toEqual(['max']); // escalated at once, mia left out
    expect(r.timeline.map((e) => e.action)).toContain('ESCALATED');
    expect(codeOf(() => approve(r, 'mia', ['max']))).toBe('FORBIDDEN');
    expect(codeOf(() => approve(r, 'bea', ['max']))).toBe('FORBIDDEN');
  });

  it('when a deputy acts, then the decision is theirs on behalf of the approver, and several approvers need onBehalfOf', () => {
    const r = request(
      policy({
        stages: [
          { name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], rule: 'ALL', deadline: 'P1D' },
        ],
      }),
    ).next;
    expect(codeOf(() => approve(r, 'dave', ['olga', 'oscar']))).toBe(
      'BAD_USER_INPUT ACCESS_REQUEST.ON_BEHALF_OF_REQUIRED',
    );
    const byDeputy = approve(r, 'dave', ['olga', 'oscar'], 'olga');
    expect(byDeputy.events[0]).toMatchObject({
      type: 'approval.decided',
      onBehalfOf: 'olga',
      data: { approverId: 'olga', decidedBy: 'dave' },
    });
    expect(byDeputy.next.timeline.at(-1)).toMatchObject({
      action: 'APPROVED_TASK',
      actor: 'dave',
      onBehalfOf: 'olga',
    });
    expect(codeOf(() => approve(r, 'stranger'))).toBe('FORBIDDEN');
  });

  it('the first decision on a task wins: a second one on it is a CONFLICT, and so is any after the request ended', () => {
    const r = request(
      policy({
        stages: [
          { name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], rule: 'ALL', deadline: 'P1D' },
        ],
      }),
    ).next;
    const once = approve(r, 'olga').next;
    expect(codeOf(() => approve(once, 'olga'))).toBe('CONFLICT ACCESS_REQUEST.ALREADY_DECIDED');
    const ended = approve(once, 'oscar').next;
    expect(codeOf(() => approve(ended, 'oscar'))).toBe('CONFLICT ACCESS_REQUEST.ALREADY_DECIDED');
    expect(codeOf(() => approve(ended, 'stranger'))).toBe('CONFLICT ACCESS_REQUEST.NOT_PENDING');
  });

  it('when deadlines pass, then first a reminder, then an escalation that keeps the earlier approvers, then the final action', () => {
    const def = policy({
      reminders: ['PT10M'],
      escalation: [
        { approvers: [{ kind: 'MANAGERS_MANAGER' }], after: 'PT30M' },
        { approvers: [{ kind: 'USERS', userIds: ['fallback'] }], after: 'PT30M' },
      ],
    });
    let r = request(def).next;
    expect(r.dueAt).toEqual(at(50)); // 10 minutes before the 60-minute deadline
    expect(fireTimers(r, ctx('system', at(49)))).toBeNull();
    const reminded = fireTimers(r, ctx('system', at(50)))!;
    expect(reminded.events[0]).toMatchObject({ type: 'approval.reminder', data: { recipients: ['mia'] } });
    r = reminded.next;
    expect(r.dueAt).toEqual(at(60));
    const escalated = fireTimers(r, ctx('system', at(60)))!;
    expect(escalated.events[0]).toMatchObject({
      type: 'approval.escalated',
      data: {
        fromLevel: 0,
        toLevel: 1,
        reason: 'DEADLINE_PASSED',
        waited: 'PT1H',
        waitedSeconds: 3600,
        earlierApprovers: ['mia'],
        assignees: [{ userId: 'max' }],
      },
    });
    r = escalated.next;
    expect(r.approverIds).toEqual(['mia', 'max']);
    expect(r.dueAt).toEqual(at(80)); // the reminder before the level's deadline at 90
    // Nobody looks for two hours: the missed level and the final action follow at once.
    const exhausted = fireTimers(r, ctx('system', at(200)))!;
    expect(types(exhausted)).toEqual(['approval.escalated', 'access-request.rejected']);
    expect(exhausted.next).toMatchObject({ status: 'REJECTED', outcome: 'FINAL_ACTION', dueAt: null });
  });

  it('an escalated approver can still be beaten to it by the earlier one, and the earlier one settles an ALL stage alone only with everyone', () => {
    const def = policy({ escalation: [{ approvers: [{ kind: 'MANAGERS_MANAGER' }], after: 'PT1H' }] });
    const r = fireTimers(request(def).next, ctx('system', at(61)))!.next;
    expect(approve(r, 'mia', [], null, at(62)).next.status).toBe('APPROVED');
    expect(approve(r, 'max', [], null, at(62)).next.status).toBe('APPROVED');
  });

  it('a final action approves only where the entitlement allows it', () => {
    const def = policy({ finalAction: 'APPROVE' });
    const allowed = fireTimers(request(def, { allowAutoApproval: true }).next, ctx('system', at(61)))!;
    expect(allowed.next).toMatchObject({ status: 'APPROVED', outcome: 'FINAL_ACTION' });
    const refused = fireTimers(request(def).next, ctx('system', at(61)))!;
    expect(refused.next).toMatchObject({ status: 'REJECTED', outcome: 'FINAL_ACTION' });
  });

  it('a stage with nobody to ask follows the policy: escalate (default), reject, or skip; never approve silently', () => {
    const nobody = (specs: readonly ApproverSpec[]) => resolve(specs).filter((a) => a.reason !== 'MANAGER');
    const base = {
      _id: 'r2',
      kind: 'ACCESS' as const,
      grantId: null,
      beneficiaryId: 'bea',
      beneficiaryName: 'Bea',
      requesterId: 'bea',
      applicationId: 'crm',
      applicationName: 'CRM',
      entitlementId: 'crm-sales',
      entitlementName: 'Sales',
      justification: 'x',
      validFrom: T0,
      validTo: null,
      allowAutoApproval: true,
    };
    const run = (d: PolicyDefinition) =>
      submit({ ...base, policy: { id: 'p', version: 1, name: 'P', definition: d } }, ctx('bea', T0, nobody));
    // Default: straight to the escalation chain; with no chain, the final action (reject).
    expect(run(policy()).next).toMatchObject({ status: 'REJECTED', outcome: 'FINAL_ACTION' });
    const up = run(policy({ escalation: [{ approvers: [{ kind: 'APPLICATION_OWNERS' }], after: 'P1D' }] }));
    expect(up.next.approverIds).toEqual(['olga', 'oscar']);
    expect(up.events.find((e) => e.type === 'approval.escalated')?.data).toMatchObject({
      reason: 'NO_APPROVER',
    });
    expect(run(policy({ whenNoApprover: 'REJECT' })).next).toMatchObject({
      status: 'REJECTED',
      outcome: 'NO_APPROVER',
    });
    const skipped = run(
      policy({
        whenNoApprover: 'SKIP_STAGE',
        stages: [
          { name: 'Manager', approvers: [{ kind: 'MANAGER' }], rule: 'ANY', deadline: 'P1D' },
          { name: 'Owners', approvers: [{ kind: 'APPLICATION_OWNERS' }], rule: 'ANY', deadline: 'P1D' },
        ],
      }),
    );
    expect(skipped.next.stage?.name).toBe('Owners');
    expect(run(policy({ stages: [] })).next).toMatchObject({ status: 'APPROVED', outcome: 'NO_STAGES' });
  });

  it('when an approver forwards the task, then the new holder replaces them, and nobody can forward it to the beneficiary', () => {
    const r = request(policy()).next;
    const fwd = (to: string, active = true) =>
      forward(
        r,
        { toUserId: to, toIsActive: active, reason: 'On leave', onBehalfOf: null },
        new Set(),
        ctx('mia'),
      );
    expect(codeOf(() => fwd('bea'))).toBe('BAD_USER_INPUT ACCESS_REQUEST.FOUR_EYES');
    expect(codeOf(() => fwd('gone', false))).toBe('BAD_USER_INPUT ACCESS_REQUEST.FORWARD_TARGET_INACTIVE');
    const done = fwd('nina');
    expect(done.next.approverIds).toEqual(['nina']);
    expect(types(done)).toEqual(['approval.forwarded', 'approval.task-assigned']);
    expect(codeOf(() => approve(done.next, 'mia'))).toBe('FORBIDDEN');
    expect(approve(done.next, 'nina').next.status).toBe('APPROVED');
  });

  it('cancelling ends a pending request once; the due time goes with it', () => {
    const r = request(policy()).next;
    const cancelled = cancel(r, 'Changed my mind', ctx('bea'));
    expect(cancelled.next).toMatchObject({ status: 'CANCELLED', dueAt: null, approverIds: [] });
    expect(nextDue(cancelled.next)).toBeNull();
    expect(codeOf(() => cancel(cancelled.next, null, ctx('bea')))).toBe(
      'CONFLICT ACCESS_REQUEST.NOT_PENDING',
    );
  });

  it('when the beneficiary gets a new manager, then the open manager task moves to them; nothing else does', () => {
    const r = request(policy()).next;
    const moved = (specs: readonly ApproverSpec[]) =>
      resolve(specs).map((a) => (a.reason === 'MANAGER' ? { ...a, userId: 'newman' } : a));
    const out = reroute(r, ctx('system:mover', T0, moved))!;
    expect(out.next.approverIds).toEqual(['newman']);
    expect(out.next.stage?.slots[0]).toMatchObject({ userId: 'newman', forwardedFrom: 'mia', level: 0 });
    expect(out.events[0]).toMatchObject({
      type: 'approval.task-assigned',
      data: { assignees: [{ userId: 'newman', reason: 'MANAGER' }] },
    });
    // Same manager, or nobody in that place now: nothing changes.
    expect(reroute(r, ctx('system:mover'))).toBeNull();
    expect(
      reroute(
        r,
        ctx('system:mover', T0, () => []),
      ),
    ).toBeNull();
  });
});
