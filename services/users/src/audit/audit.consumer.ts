import { handleEach, type EventContracts, type EventHandler, type HandlerMap } from '@concierge/kit';
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

/** Stores one audit record per event; a redelivered event finds its record and adds nothing. */
export function recordEvent(trail: AuditRepository): EventHandler {
  return async (event, { logger }) => {
    const stored = await trail.insertIfAbsent(auditRecordOf(event, new Date()));
    logger.debug({ stored }, stored ? 'audit record stored' : 'audit record existed already');
  };
}

/** The trail's handlers: one per audited event type (combine with others via combineHandlers). */
export function auditHandlers(contracts: EventContracts, trail: AuditRepository): HandlerMap {
  return handleEach(auditedTypes(contracts), recordEvent(trail));
}
