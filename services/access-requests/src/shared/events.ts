import { createEvent, type EventContracts, type EventEnvelope } from '@concierge/kit';

/** What a use case needs to write events: the contracts, who acts, for whom, in which request. */
export interface EventDeps {
  contracts: EventContracts;
  /** The acting user's id, or a system name such as `system:approval-scheduler`. */
  actor: string;
  correlationId: string;
}

/** An event of this service, checked against its contract before it goes into a write. */
export function serviceEvent(
  deps: EventDeps,
  type: string,
  subject: string,
  data: Record<string, unknown>,
  onBehalfOf?: string,
): EventEnvelope {
  const event = createEvent('/concierge/access-requests', {
    type,
    subject,
    data,
    actor: deps.actor,
    correlationId: deps.correlationId,
    ...(onBehalfOf && onBehalfOf !== deps.actor ? { onBehalfOf } : {}),
  });
  deps.contracts.validate(event);
  return event;
}
