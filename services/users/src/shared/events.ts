import { createEvent, type EventContracts, type EventEnvelope } from '@concierge/kit';

/** What a use case needs to write events: the contracts, who acts and in which request. */
export interface EventDeps {
  contracts: EventContracts;
  /** The acting user's id (or a system name such as "scheduler" or "import"). */
  actor: string;
  correlationId: string;
  now?: Date;
}

/** An event of this service, checked against its contract before it goes into a write. */
export function usersEvent(
  deps: Pick<EventDeps, 'contracts' | 'actor' | 'correlationId'>,
  type: string,
  subject: string,
  data: Record<string, unknown>,
): EventEnvelope {
  const event = createEvent('/concierge/users', {
    type,
    subject,
    data,
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);
  return event;
}
