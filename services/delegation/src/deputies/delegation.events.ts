import { createEvent, type EventContracts, type EventEnvelope } from '@concierge/kit';
import type { Delegation } from './delegation';

/** A delegation's content, with or without the version the store gives it. */
type Facts = Omit<Delegation, 'version'>;

/** Who acts when no person does: the expiry scheduler and the leaver handling. */
export const SYSTEM_ACTOR = 'system:delegation';

/** What writing an event needs: the contracts, who acts, in which request or event. */
export interface EventDeps {
  contracts: EventContracts;
  actor: string;
  correlationId: string;
}

/** An event of this service, checked against its contract before it goes into a write. */
function delegationEvent(deps: EventDeps, type: string, d: Facts, data: object): EventEnvelope {
  const event = createEvent('/concierge/delegation', {
    type,
    subject: d._id,
    data: {
      delegationId: d._id,
      delegatorId: d.delegatorId,
      delegatorName: d.delegatorName,
      deputyId: d.deputyId,
      ...data,
    },
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);
  return event;
}

/** delegation.created: the whole delegation. */
export function delegationCreated(deps: EventDeps, d: Facts): EventEnvelope {
  return delegationEvent(deps, 'delegation.created', d, {
    scope: { kind: d.scope.kind, applicationIds: d.scope.applicationIds },
    validFrom: d.validFrom.toISOString(),
    validTo: d.validTo.toISOString(),
    reason: d.reason,
    allowFurtherDelegation: d.allowFurtherDelegation,
  });
}

/** delegation.ended: who ended it, and why. */
export function delegationEnded(deps: EventDeps, d: Facts): EventEnvelope {
  return delegationEvent(deps, 'delegation.ended', d, {
    endedBy: d.endedBy ?? deps.actor,
    reason: d.endReason,
  });
}

/** delegation.expired: its end date passed. */
export function delegationExpired(deps: EventDeps, d: Facts): EventEnvelope {
  return delegationEvent(deps, 'delegation.expired', d, { validTo: d.validTo.toISOString() });
}
