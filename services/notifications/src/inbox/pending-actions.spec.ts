import { EventContracts, type EventEnvelope } from '@concierge/kit';
import type { Delegation } from './delegation.repository';
import { delegationOf, delegationReceivedNotification } from './delegation-created.consumer';
import { grantCreatedNotifications } from './grant-created.consumer';
import { grantExpiringNotification } from './grant-expiring.consumer';
import { grantStartedNotification, type GrantFacts } from './grant-started.consumer';
import type { NotificationDraft } from './notification.repository';
import { requestApprovedNotifications } from './request-approved.consumer';
import { requestRejectedNotifications } from './request-rejected.consumer';
import {
  delegationCreated,
  grantCreated,
  grantExpiring,
  grantFacts,
  grantStarted,
  requestApproved,
  requestFacts,
  requestRejected,
  taskAssigned,
  taskEscalated,
  taskReminder,
} from './sample-events.fixture';
import { taskAssignedNotifications } from './task-assigned.consumer';
import { taskEscalatedNotifications } from './task-escalated.consumer';
import { taskReminderNotifications } from './task-reminder.consumer';

const contracts: EventContracts = new EventContracts();
/** A sample event, checked against its contract so that these specs test what producers send. */
const valid = (event: EventEnvelope): EventEnvelope => {
  contracts.validate(event);
  return event;
};
const byUser = (drafts: NotificationDraft[]) => new Map(drafts.map((d) => [d.userId, d]));

const facts = requestFacts({ beneficiaryId: 'grace', requesterId: 'alan', requestId: 'req-1' });
const adasDelegation: Delegation = {
  _id: 'del-1',
  delegatorId: 'ada',
  delegatorName: 'Ada Lovelace',
  deputyId: 'dora',
};
const known = new Map([[adasDelegation._id, adasDelegation]]);

describe('notifications of pending actions', () => {
  it('when a task is assigned, then each assignee is asked why, and each deputy is told on whose behalf', () => {
    const event = valid(
      taskAssigned(facts, {
        assignees: [
          { userId: 'ada', reason: 'MANAGER' },
          { userId: 'owen', reason: 'APPLICATION_OWNER' },
        ],
        deputies: [
          { userId: 'dora', forUserId: 'ada', delegationId: 'del-1' },
          { userId: 'dora', forUserId: 'owen', delegationId: 'del-unknown' },
          // An assignee who is also a deputy gets the assignee's text only.
          { userId: 'owen', forUserId: 'ada', delegationId: 'del-1' },
        ],
      }),
    );
    const drafts = taskAssignedNotifications(event, known);
    expect(drafts.map((d) => d.userId)).toEqual(['ada', 'owen', 'dora']);
    const to = byUser(drafts);
    expect(to.get('ada')).toMatchObject({
      kind: 'TASK_ASSIGNED',
      title: 'Approval needed: Payroll admin in SAP for Grace Hopper',
      link: { kind: 'ACCESS_REQUEST', id: 'req-1' },
      onBehalfOf: [],
      sourceEventId: event.id,
      createdAt: new Date(event.time),
    });
    expect(to.get('ada')?.body).toBe(
      "Please approve or reject the request for Grace Hopper's access to Payroll admin in SAP by 2027-01-07 08:00 UTC " +
        '(stage "Manager approval"). You are asked as Grace Hopper\'s manager.',
    );
    expect(to.get('owen')?.body).toContain('You are asked as an owner of SAP.');
    expect(to.get('dora')?.onBehalfOf).toEqual(['ada', 'owen']);
    expect(to.get('dora')?.body).toBe(
      "You may approve or reject the request for Grace Hopper's access to Payroll admin in SAP on behalf of " +
        'Ada Lovelace and another approver, who made you their deputy, by 2027-01-07 08:00 UTC (stage "Manager approval").',
    );
  });

  it("when a deputy acts under a delegation the approver did not make (a deputy's deputy), then the approver is not misnamed", () => {
    const event = valid(
      taskAssigned(facts, {
        assignees: [{ userId: 'ada', reason: 'MANAGER' }],
        deputies: [{ userId: 'dan', forUserId: 'ada', delegationId: 'del-2' }],
      }),
    );
    const doras: Delegation = { _id: 'del-2', delegatorId: 'dora', delegatorName: 'Dora', deputyId: 'dan' };
    const dan = byUser(taskAssignedNotifications(event, new Map([[doras._id, doras]]))).get('dan');
    expect(dan?.body).toContain('on behalf of an approver, who made you their deputy');
    expect(dan?.body).not.toContain('Dora');
  });

  it('when a reminder fires, then recipients and deputies are reminded, deputies on whose behalf', () => {
    const event = valid(
      taskReminder(facts, {
        recipients: ['ada'],
        deputies: [{ userId: 'dora', forUserId: 'ada', delegationId: 'del-1' }],
      }),
    );
    const to = byUser(taskReminderNotifications(event, known));
    expect([...to.keys()]).toEqual(['ada', 'dora']);
    expect(to.get('ada')).toMatchObject({
      kind: 'TASK_REMINDER',
      title: 'Reminder: Payroll admin in SAP for Grace Hopper awaits a decision',
    });
    expect(to.get('ada')?.body).toBe(
      "The request for Grace Hopper's access to Payroll admin in SAP still awaits a decision. " +
        'Please approve or reject it by 2027-01-07 08:00 UTC (stage "Manager approval").',
    );
    expect(to.get('dora')?.body).toContain('on behalf of Ada Lovelace, who made you their deputy');
  });

  it('when a task escalates, then new approvers, deputies, earlier approvers and the requester each read what it means for them', () => {
    const event = valid(
      taskEscalated(facts, {
        assignees: ['max'],
        deputies: [{ userId: 'dora', forUserId: 'max', delegationId: 'del-9' }],
        earlierApprovers: ['ada', 'max'],
      }),
    );
    const to = byUser(taskEscalatedNotifications(event, new Map()));
    expect([...to.keys()]).toEqual(['max', 'dora', 'ada', 'alan']);
    expect(to.get('max')?.title).toBe('Escalated to you: Payroll admin in SAP for Grace Hopper');
    expect(to.get('max')?.body).toBe(
      "The request for Grace Hopper's access to Payroll admin in SAP had no decision after 2 days 4 hours and was " +
        'escalated to you. Please approve or reject it by 2027-01-07 08:00 UTC (stage "Manager approval").',
    );
    expect(to.get('dora')).toMatchObject({ onBehalfOf: ['max'] });
    expect(to.get('dora')?.body).toContain('on behalf of an approver, who made you their deputy');
    expect(to.get('ada')?.body).toContain('You can still approve or reject it yourself.');
    expect(to.get('alan')?.title).toBe('Your request was escalated: Payroll admin in SAP');
    expect(to.get('alan')?.body).toBe(
      "Your request for Grace Hopper's access to Payroll admin in SAP had no decision after 2 days 4 hours, so it " +
        'went to the next level of approvers, who have until 2027-01-07 08:00 UTC to decide.',
    );
    for (const draft of to.values()) expect(draft.kind).toBe('TASK_ESCALATED');

    const nobody = valid(taskEscalated(facts, { assignees: ['max'], earlierApprovers: [] }, 'NO_APPROVER'));
    expect(byUser(taskEscalatedNotifications(nobody, new Map())).get('alan')?.body).toContain(
      'had no approver who could decide',
    );
  });

  it('when a request is approved or rejected, then requester and beneficiary are told, once when they are one person', () => {
    const approved = byUser(requestApprovedNotifications(valid(requestApproved(facts))));
    expect(approved.get('alan')?.body).toBe(
      "Your request for Grace Hopper's access to Payroll admin in SAP was approved.",
    );
    expect(approved.get('grace')?.body).toBe(
      'The request for your access to Payroll admin in SAP was approved.',
    );
    expect(approved.get('grace')).toMatchObject({
      kind: 'REQUEST_APPROVED',
      title: 'Approved: Payroll admin in SAP',
    });

    const own = requestFacts({ beneficiaryId: 'grace', requesterId: 'grace' });
    const rejected = requestRejectedNotifications(
      valid(requestRejected(own, '  Not needed for your role. ')),
    );
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      userId: 'grace',
      kind: 'REQUEST_REJECTED',
      title: 'Rejected: Payroll admin in SAP',
      body: 'Your request for access to Payroll admin in SAP was rejected. Comment: "Not needed for your role."',
      link: { kind: 'ACCESS_REQUEST', id: own.requestId },
    });
    const silent = requestRejectedNotifications(valid(requestRejected(own, null, 'NO_APPROVER')));
    expect(silent[0]?.body).toBe(
      'Your request for access to Payroll admin in SAP was rejected: nobody could be found to approve it.',
    );
  });

  it('when a grant starts now (created ACTIVE or started) or expires soon, then its beneficiary is told; a scheduled one waits for its start', () => {
    const grant = grantFacts({ beneficiaryId: 'grace', grantId: 'g-1' });
    const created = grantCreatedNotifications(valid(grantCreated(grant, 'ACTIVE', 'BIRTHRIGHT')));
    expect(created).toEqual([
      expect.objectContaining({
        userId: 'grace',
        kind: 'GRANT_STARTED',
        title: 'Access granted: Payroll admin in SAP',
        body: 'You now have access to Payroll admin in SAP until 2027-03-31 17:00 UTC. It comes with your position in the organisation.',
        link: { kind: 'GRANT', id: 'g-1' },
      }),
    ]);
    expect(grantCreatedNotifications(valid(grantCreated(grant, 'SCHEDULED')))).toEqual([]);
    const started = valid(grantStarted({ ...grant, validTo: null }));
    expect(grantStartedNotification(started, started.data as unknown as GrantFacts).body).toBe(
      'You now have access to Payroll admin in SAP.',
    );
    expect(grantExpiringNotification(valid(grantExpiring(grant)))).toMatchObject({
      userId: 'grace',
      kind: 'GRANT_EXPIRING',
      title: 'Access ends soon: Payroll admin in SAP',
      body: 'Your access to Payroll admin in SAP ends at 2027-03-31 17:00 UTC. If you still need it, ask for an extension.',
      link: { kind: 'GRANT', id: 'g-1' },
    });
  });

  it('when someone is made a deputy, then they are told by whom, for what and until when, and the delegation is kept by id', () => {
    const event = valid(
      delegationCreated({
        delegationId: 'del-1',
        delegatorId: 'ada',
        delegatorName: 'Ada Lovelace',
        deputyId: 'dora',
        applicationIds: ['app-1', 'app-2'],
      }),
    );
    expect(delegationReceivedNotification(event)).toMatchObject({
      userId: 'dora',
      kind: 'DELEGATION_RECEIVED',
      title: "You are now Ada Lovelace's deputy",
      body:
        'Ada Lovelace made you their deputy for 2 applications from 2027-01-04 00:00 UTC to 2027-01-18 00:00 UTC: ' +
        'you may approve or reject access requests on their behalf. Reason: Parental leave',
      link: { kind: 'DELEGATION', id: 'del-1' },
    });
    expect(delegationOf(event)).toEqual(adasDelegation);
  });
});
