import { batchedHandler, type EventEnvelope, type EventHandler } from '@concierge/kit';
import type { Delegation, DelegationRepository } from './delegation.repository';
import { formatInstant } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor } from './store-notifications';

interface DelegationCreated {
  delegationId: string;
  delegatorId: string;
  delegatorName: string;
  deputyId: string;
  scope: { kind: 'ALL' | 'APPLICATIONS'; applicationIds: string[] };
  validFrom: string;
  validTo: string;
  reason: string;
  allowFurtherDelegation: boolean;
}

function scopeOf(scope: DelegationCreated['scope']): string {
  if (scope.kind === 'ALL') return 'for every application';
  const n = scope.applicationIds.length;
  return n === 1 ? 'for one application' : `for ${n} applications`;
}

/** The DELEGATION_RECEIVED notification for the deputy. */
export function delegationReceivedNotification(event: EventEnvelope): NotificationDraft {
  const data = dataOf<DelegationCreated>(event);
  const onward = data.allowFurtherDelegation ? ' Your own deputies may act for them too.' : '';
  return draftFor(event, data.deputyId, {
    kind: 'DELEGATION_RECEIVED',
    title: `You are now ${data.delegatorName}'s deputy`,
    link: { kind: 'DELEGATION', id: data.delegationId },
    body:
      `${data.delegatorName} made you their deputy ${scopeOf(data.scope)} from ${formatInstant(data.validFrom)} ` +
      `to ${formatInstant(data.validTo)}: you may approve or reject access requests on their behalf.${onward} ` +
      `Reason: ${data.reason}`,
  });
}

/** What this service keeps of the delegation, to name the delegator in their deputy's task notifications. */
export function delegationOf(event: EventEnvelope): Delegation {
  const data = dataOf<DelegationCreated>(event);
  return {
    _id: data.delegationId,
    delegatorId: data.delegatorId,
    delegatorName: data.delegatorName,
    deputyId: data.deputyId,
  };
}

/**
 * delegation.created → the deputy is told (once per event), and the delegation is kept by id so
 * that approval notifications can name the approver a deputy stands in for. Both writes are
 * inserts keyed by the event's content, so a repeat adds nothing.
 */
export function onDelegationCreated(
  notifications: NotificationRepository,
  delegations: DelegationRepository,
): EventHandler {
  return batchedHandler(async (events, { logger }) => {
    const kept = await delegations.addOnce(events.map(delegationOf));
    const created = await notifications.addOnce(events.map(delegationReceivedNotification));
    logger.info({ events: events.length, created, kept }, 'delegation notifications stored');
  });
}
