import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { describeRequest, entitlementIn, sentence, type RequestFacts } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { requestParties } from './request-approved.consumer';
import { dataOf, draftFor, notifying } from './store-notifications';

interface RequestRejected extends RequestFacts {
  outcome: 'REJECTED' | 'FINAL_ACTION' | 'NO_APPROVER';
  comment: string | null;
}

/** Why it was rejected, after "… was rejected". */
const WHY: Record<RequestRejected['outcome'], string> = {
  REJECTED: '',
  FINAL_ACTION: ' automatically, as its approval policy says when no approver decides in time',
  NO_APPROVER: ': nobody could be found to approve it',
};

/** The REQUEST_REJECTED notifications of one event: the requester and the beneficiary, with the comment if any. */
export function requestRejectedNotifications(event: EventEnvelope): NotificationDraft[] {
  const data = dataOf<RequestRejected>(event);
  const comment = data.comment?.trim() ? ` Comment: "${data.comment.trim()}"` : '';
  return requestParties(data).map((userId) =>
    draftFor(event, userId, {
      kind: 'REQUEST_REJECTED',
      title: `Rejected: ${entitlementIn(data)}`,
      link: { kind: 'ACCESS_REQUEST', id: data.requestId },
      body: `${sentence(describeRequest(data, userId))} was rejected${WHY[data.outcome]}.${comment}`,
    }),
  );
}

/** access-request.rejected → the requester and the beneficiary learn it (once each per event). */
export function onRequestRejected(notifications: NotificationRepository): EventHandler {
  return notifying('request-rejected', notifications, (events) =>
    events.flatMap(requestRejectedNotifications),
  );
}
