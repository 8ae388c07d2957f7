import {
  batchedHandler,
  handleEach,
  type EventContracts,
  type EventHandler,
  type HandlerMap,
} from '@concierge/kit';
import type { AuditRepository } from './audit.repository';
import { auditRecordOf } from './audit-record';

/** Event types that are inputs to Concierge (HR feed records), not changes made in it. */
const INPUT_PREFIXES = ['hr.'];

/**
 * The event types the trail records: every type the contracts know that travels on a topic of
 * the catalogue, except inputs and the dead-letter topic. Read at start, so a new event schema
 * is audited without code changes.
 */
export function auditedTypes(contracts: EventContracts): string[] {
  return contracts.knownTypes().filter((type) => {
    if (INPUT_PREFIXES.some((prefix) => type.startsWith(prefix))) return false;
    try {
      return contracts.topicFor(type) !== contracts.deadLetterTopic;
    } catch {
      return false; // a schema no topic carries yet: nothing can be published with it
    }
  });
}

/**
 * Stores one audit record per event, a chunk of events in one write; a redelivered event finds
 * its record (keyed by the event id) and adds nothing.
 */
export function recordEvents(trail: AuditRepository): EventHandler {
  return batchedHandler(async (events, { logger }) => {
    const recordedAt = new Date();
    const stored = await trail.insertAllNew(events.map((event) => auditRecordOf(event, recordedAt)));
    logger.debug({ events: events.length, stored }, 'audit records stored');
  });
}

/** The trail's handlers: one per audited event type (combine with others via combineHandlers). */
export function auditHandlers(contracts: EventContracts, trail: AuditRepository): HandlerMap {
  return handleEach(auditedTypes(contracts), recordEvents(trail));
}
