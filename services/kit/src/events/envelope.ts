import { randomUUID } from 'node:crypto';

/**
 * A CloudEvents 1.0 event in structured JSON mode, with Concierge's `actor` and `correlationid`
 * extensions and the optional `onbehalfof`.
 */
export interface EventEnvelope<T = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  actor: string;
  correlationid: string;
  /** Whom the actor acted for: the approver a deputy stands in for, the partner an API token serves. */
  onbehalfof?: string;
  data: T;
}

export interface NewEvent<T> {
  type: string;
  /** Schema version of `data`; 1 unless a newer contract exists. */
  version?: number;
  subject: string;
  data: T;
  actor: string;
  correlationId: string;
  /** Set when the actor acts for someone else; absent otherwise. */
  onBehalfOf?: string;
}

/** Builds an envelope; the id is fresh, so a retried write of the same change is a new event only if re-created. */
export function createEvent<T extends object>(
  source: string,
  event: NewEvent<T>,
  now = new Date(),
): EventEnvelope<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: event.type,
    subject: event.subject,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    dataschema: `concierge:${event.type}/v${event.version ?? 1}`,
    actor: event.actor,
    correlationid: event.correlationId,
    ...(event.onBehalfOf ? { onbehalfof: event.onBehalfOf } : {}),
    data: event.data,
  };
}
