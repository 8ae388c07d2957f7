import type { EventEnvelope, EventHandler } from '@concierge/kit';
import type { Delegation, DelegationRepository } from './delegation.repository';
import { deputyRoles, knownDelegations, type DeputyEntry, type DeputyRole } from './deputies';
import {
  describeRequest,
  formatInstant,
  requestHeadline,
  sentence,
  type RequestFacts,
} from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { Recipients } from './recipients';
import { dataOf, draftFor, notifying } from './store-notifications';

interface TaskReminder extends RequestFacts {
  stage: number;
  stageName: string;
  level: number;
  deadline: string;
  recipients: string[];
  deputies: DeputyEntry[];
}

type Role = { as: 'approver' } | { as: 'deputy'; deputy: DeputyRole };

/** The TASK_REMINDER notifications of one event: each recipient, then each deputy not also a recipient. */
export function taskReminderNotifications(
  event: EventEnvelope,
  known: ReadonlyMap<string, Delegation>,
): NotificationDraft[] {
  const data = dataOf<TaskReminder>(event);
  const recipients = new Recipients<Role>();
  for (const userId of data.recipients) recipients.add(userId, { as: 'approver' });
  for (const [userId, deputy] of deputyRoles(data.deputies, known))
    recipients.add(userId, { as: 'deputy', deputy });
  const title = `Reminder: ${requestHeadline(data)} awaits a decision`;
  const link = { kind: 'ACCESS_REQUEST' as const, id: data.requestId };
  const due = `by ${formatInstant(data.deadline)} (stage "${data.stageName}")`;
  return recipients.list().map(([userId, role]) => {
    const waiting = sentence(`${describeRequest(data, userId)} still awaits a decision.`);
    return role.as === 'approver'
      ? draftFor(event, userId, {
          kind: 'TASK_REMINDER',
          title,
          link,
          body: `${waiting} Please approve or reject it ${due}.`,
        })
      : draftFor(event, userId, {
          kind: 'TASK_REMINDER',
          title,
          link,
          onBehalfOf: role.deputy.forUserIds,
          body: `${waiting} You may approve or reject it ${role.deputy.onBehalf}, ${due}.`,
        });
  });
}

/** approval.reminder → a reminder for every recipient and every deputy (once per event and person). */
export function onTaskReminder(
  notifications: NotificationRepository,
  delegations: DelegationRepository,
): EventHandler {
  return notifying('task-reminder', notifications, async (events) => {
    const known = await knownDelegations(events, delegations);
    return events.flatMap((event) => taskReminderNotifications(event, known));
  });
}
