import type { EventEnvelope, EventHandler } from '@concierge/kit';
import type { Delegation, DelegationRepository } from './delegation.repository';
import { deputyRoles, knownDelegations, type DeputyEntry, type DeputyRole } from './deputies';
import {
  describeRequest,
  describeWait,
  entitlementIn,
  formatInstant,
  requestHeadline,
  sentence,
  type RequestFacts,
} from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { Recipients } from './recipients';
import { dataOf, draftFor, notifying } from './store-notifications';
import type { AssigneeReason } from './task-assigned.consumer';

interface TaskEscalated extends RequestFacts {
  stage: number;
  stageName: string;
  fromLevel: number;
  toLevel: number;
  reason: 'DEADLINE_PASSED' | 'NO_APPROVER';
  waited: string;
  waitedSeconds: number;
  assignees: { userId: string; reason: AssigneeReason }[];
  deputies: DeputyEntry[];
  earlierApprovers: string[];
  deadline: string;
}

type Role =
  | { as: 'assignee' }
  | { as: 'deputy'; deputy: DeputyRole }
  | { as: 'earlier approver' }
  | { as: 'requester' };

/** Why the task moved up, after "The request … ". */
function why(data: TaskEscalated): string {
  return data.reason === 'DEADLINE_PASSED'
    ? `had no decision after ${describeWait(data.waitedSeconds)}`
    : 'had no approver who could decide';
}

/**
 * The TASK_ESCALATED notifications of one event, one per person in their most actionable role:
 * the new assignees, their deputies, the earlier approvers (who can still decide), the requester.
 */
export function taskEscalatedNotifications(
  event: EventEnvelope,
  known: ReadonlyMap<string, Delegation>,
): NotificationDraft[] {
  const data = dataOf<TaskEscalated>(event);
  const recipients = new Recipients<Role>();
  for (const { userId } of data.assignees) recipients.add(userId, { as: 'assignee' });
  for (const [userId, deputy] of deputyRoles(data.deputies, known))
    recipients.add(userId, { as: 'deputy', deputy });
  for (const userId of data.earlierApprovers) recipients.add(userId, { as: 'earlier approver' });
  recipients.add(data.requesterId, { as: 'requester' });
  const link = { kind: 'ACCESS_REQUEST' as const, id: data.requestId };
  const deadline = formatInstant(data.deadline);
  return recipients.list().map(([userId, role]) => {
    const request = sentence(describeRequest(data, userId));
    switch (role.as) {
      case 'assignee':
        return draftFor(event, userId, {
          kind: 'TASK_ESCALATED',
          title: `Escalated to you: ${requestHeadline(data)}`,
          link,
          body: `${request} ${why(data)} and was escalated to you. Please approve or reject it by ${deadline} (stage "${data.stageName}").`,
        });
      case 'deputy':
        return draftFor(event, userId, {
          kind: 'TASK_ESCALATED',
          title: `Escalated to you: ${requestHeadline(data)}`,
          link,
          onBehalfOf: role.deputy.forUserIds,
          body: `${request} ${why(data)} and was escalated. You may approve or reject it ${role.deputy.onBehalf}, by ${deadline} (stage "${data.stageName}").`,
        });
      case 'earlier approver':
        return draftFor(event, userId, {
          kind: 'TASK_ESCALATED',
          title: `Escalated: ${requestHeadline(data)}`,
          link,
          body: `${request} ${why(data)} and was escalated to the next level of approvers. You can still approve or reject it yourself.`,
        });
      case 'requester':
        return draftFor(event, userId, {
          kind: 'TASK_ESCALATED',
          title: `Your request was escalated: ${entitlementIn(data)}`,
          link,
          body: `${request} ${why(data)}, so it went to the next level of approvers, who have until ${deadline} to decide.`,
        });
    }
  });
}

/**
 * approval.escalated → the new assignees and their deputies, the earlier approvers and the
 * requester each get a notification worded for their role (once per event and person).
 */
export function onTaskEscalated(
  notifications: NotificationRepository,
  delegations: DelegationRepository,
): EventHandler {
  return notifying('task-escalated', notifications, async (events) => {
    const known = await knownDelegations(events, delegations);
    return events.flatMap((event) => taskEscalatedNotifications(event, known));
  });
}
