import type { EventEnvelope, EventHandler } from '@concierge/kit';
import type { Delegation, DelegationRepository } from './delegation.repository';
import { deputyRoles, knownDelegations, type DeputyEntry, type DeputyRole } from './deputies';
import {
  describeRequest,
  entitlementIn,
  formatInstant,
  requestHeadline,
  type RequestFacts,
} from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { Recipients } from './recipients';
import { dataOf, draftFor, notifying } from './store-notifications';

/** Why an approver holds a task (approval.task-assigned, approval.escalated). */
export type AssigneeReason =
  | 'MANAGER'
  | 'MANAGERS_MANAGER'
  | 'APPLICATION_OWNER'
  | 'NAMED_USER'
  | 'ORGANIZATION_ADMIN'
  | 'ESCALATION'
  | 'FORWARDED';

interface TaskAssigned extends RequestFacts {
  stage: number;
  stageName: string;
  level: number;
  deadline: string;
  assignees: { userId: string; reason: AssigneeReason }[];
  deputies: DeputyEntry[];
}

/** "You are asked …": why this approver, in words. */
const ASKED: Record<AssigneeReason, (facts: RequestFacts) => string> = {
  MANAGER: (f) => `as ${f.beneficiaryName}'s manager`,
  MANAGERS_MANAGER: (f) => `as the manager of ${f.beneficiaryName}'s manager`,
  APPLICATION_OWNER: (f) => `as an owner of ${f.applicationName}`,
  NAMED_USER: (f) => `as an approver named for ${entitlementIn(f)}`,
  ORGANIZATION_ADMIN: (f) => `as an administrator of ${f.beneficiaryName}'s organisation`,
  ESCALATION: () => 'because the task was escalated to you',
  FORWARDED: () => 'because another approver forwarded the task to you',
};

type Role = { as: 'assignee'; reason: AssigneeReason } | { as: 'deputy'; deputy: DeputyRole };

/** The TASK_ASSIGNED notifications of one event: each assignee, then each deputy not also an assignee. */
export function taskAssignedNotifications(
  event: EventEnvelope,
  known: ReadonlyMap<string, Delegation>,
): NotificationDraft[] {
  const data = dataOf<TaskAssigned>(event);
  const recipients = new Recipients<Role>();
  for (const { userId, reason } of data.assignees) recipients.add(userId, { as: 'assignee', reason });
  for (const [userId, deputy] of deputyRoles(data.deputies, known))
    recipients.add(userId, { as: 'deputy', deputy });
  const title = `Approval needed: ${requestHeadline(data)}`;
  const link = { kind: 'ACCESS_REQUEST' as const, id: data.requestId };
  const due = `by ${formatInstant(data.deadline)} (stage "${data.stageName}")`;
  return recipients.list().map(([userId, role]) =>
    role.as === 'assignee'
      ? draftFor(event, userId, {
          kind: 'TASK_ASSIGNED',
          title,
          link,
          body: `Please approve or reject ${describeRequest(data, userId)} ${due}. You are asked ${ASKED[role.reason](data)}.`,
        })
      : draftFor(event, userId, {
          kind: 'TASK_ASSIGNED',
          title,
          link,
          onBehalfOf: role.deputy.forUserIds,
          body: `You may approve or reject ${describeRequest(data, userId)} ${role.deputy.onBehalf}, ${due}.`,
        }),
  );
}

/** approval.task-assigned → a notification for every assignee and every deputy (once per event and person). */
export function onTaskAssigned(
  notifications: NotificationRepository,
  delegations: DelegationRepository,
): EventHandler {
  return notifying('task-assigned', notifications, async (events) => {
    const known = await knownDelegations(events, delegations);
    return events.flatMap((event) => taskAssignedNotifications(event, known));
  });
}
