import type { EventEnvelope } from '@concierge/kit';
import type { AuditRecord } from './audit.repository';
import { redact } from './redact';

/** The type other services publish their audit entries with (schema audit.recorded.v1). */
export const AUDIT_RECORDED = 'audit.recorded';

/** data of audit.recorded. */
interface AuditRecorded {
  action: string;
  targetType: string;
  targetId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  onBehalfOf?: string;
}

type Values = Record<string, unknown> | null;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `changes` map of `{ field: { before, after } }` (user.updated, organization.updated). */
function isChanges(value: unknown): value is Record<string, { before: unknown; after: unknown }> {
  return (
    isObject(value) &&
    Object.values(value).every((change) => isObject(change) && 'before' in change && 'after' in change)
  );
}

const PREVIOUS = /^previous([A-Z].*)$/;

/**
 * The values before and after a change, read from an event's data by its shape, so a new event
 * type needs no code here:
 * - `changes: { field: { before, after } }` → the fields before and after (*.updated);
 * - `before` and `after` objects → those (user.moved);
 * - `previousX` fields → before `{ X }`, after the data without the `previous` fields
 *   (lifecycle: previousStatus → status, organization.moved: previousParentId → parentId);
 * - anything else → no before, after the data (created events and facts such as credential.locked).
 */
export function changeOf(data: Record<string, unknown>): { before: Values; after: Values } {
  if (isChanges(data.changes)) {
    const entries = Object.entries(data.changes);
    return {
      before: Object.fromEntries(entries.map(([field, change]) => [field, change.before])),
      after: Object.fromEntries(entries.map(([field, change]) => [field, change.after])),
    };
  }
  if (isObject(data.before) && isObject(data.after)) return { before: data.before, after: data.after };
  const previous = Object.keys(data).filter((key) => PREVIOUS.test(key));
  if (previous.length > 0) {
    const before = Object.fromEntries(
      previous.map((key) => {
        const field = (PREVIOUS.exec(key) as RegExpExecArray)[1] as string;
        return [field.charAt(0).toLowerCase() + field.slice(1), data[key]];
      }),
    );
    const after = Object.fromEntries(Object.entries(data).filter(([key]) => !PREVIOUS.test(key)));
    return { before, after };
  }
  return { before: null, after: data };
}

/** JSON text of a snapshot with its secrets redacted; null stays null. */
function snapshot(values: Values): string | null {
  return values === null ? null : JSON.stringify(redact(values));
}

/**
 * The audit record of one event (validated against its contract): who, on whose behalf, what,
 * to which target, when, before and after with secrets redacted, in which request, from where.
 */
export function auditRecordOf(event: EventEnvelope, recordedAt: Date): AuditRecord {
  let what: Pick<AuditRecord, 'action' | 'targetType' | 'targetId'>;
  let change: { before: Values; after: Values };
  let onBehalfOf = event.onbehalfof ?? null;
  if (event.type === AUDIT_RECORDED) {
    const data = event.data as unknown as AuditRecorded;
    what = { action: data.action, targetType: data.targetType, targetId: data.targetId };
    change = { before: data.before, after: data.after };
    onBehalfOf ??= data.onBehalfOf ?? null;
  } else {
    // The type names its aggregate (user.suspended → user) and the subject is the aggregate id.
    what = { action: event.type, targetType: event.type.split('.')[0] as string, targetId: event.subject };
    change = changeOf(event.data);
  }
  return {
    _id: event.id,
    time: new Date(event.time),
    actor: event.actor,
    onBehalfOf,
    ...what,
    before: snapshot(change.before),
    after: snapshot(change.after),
    correlationId: event.correlationid,
    source: event.source,
    recordedAt,
  };
}
