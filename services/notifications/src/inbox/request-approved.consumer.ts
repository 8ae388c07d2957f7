import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { describeRequest, entitlementIn, sentence, type RequestFacts } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { Recipients } from './recipients';
import { dataOf, draftFor, notifying } from './store-notifications';

interface RequestApproved extends RequestFacts {
  grantId: string;
  outcome: 'APPROVED' | 'NO_STAGES' | 'FINAL_ACTION';
}

/** How it came to be approved, after "… was approved". */
const HOW: Record<RequestApproved['outcome'], string> = {
  APPROVED: '',
  NO_STAGES: ' at once: it needs no approval',
  FINAL_ACTION: ' automatically, as its approval policy says when no approver decides in time',
};

/** The requester and the beneficiary, once when they are the same person. */
export function requestParties(facts: RequestFacts): string[] {
  return new Recipients<true>()
    .add(facts.requesterId, true)
    .add(facts.beneficiaryId, true)
    .list()
    .map(([userId]) => userId);
}

/** The REQUEST_APPROVED notifications of one event: the requester and the beneficiary. */
export function requestApprovedNotifications(event: EventEnvelope): NotificationDraft[] {
  const data = dataOf<RequestApproved>(event);
  return requestParties(data).map((userId) =>
    draftFor(event, userId, {
      kind: 'REQUEST_APPROVED',
      title: `Approved: ${entitlementIn(data)}`,
      link: { kind: 'ACCESS_REQUEST', id: data.requestId },
      body: `${sentence(describeRequest(data, userId))} was approved${HOW[data.outcome]}.`,
    }),
  );
}

/** access-request.approved → the requester and the beneficiary learn it (once each per event). */
export function onRequestApproved(notifications: NotificationRepository): EventHandler {
  return notifying('request-approved', notifications, (events) =>
    events.flatMap(requestApprovedNotifications),
  );
}
