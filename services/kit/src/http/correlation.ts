import { randomUUID } from 'node:crypto';

/** A UUID, or any other id of 8 to 64 letters, digits, dots, underscores and hyphens. */
const WELL_FORMED = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The correlation id of a request: the caller's `x-correlation-id` when it is well formed, else a
 * new UUID. An empty or odd id is replaced, never passed on: it lands in every event of the
 * request, whose contract requires one, and in every log line.
 */
export function correlationIdOf(sent: string | undefined): string {
  return sent !== undefined && WELL_FORMED.test(sent) ? sent : randomUUID();
}
