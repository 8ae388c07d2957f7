import { BadInputError, parseIsoDateTime } from '@concierge/kit';
import type { AuditQuery, AuditRecord, AuditRepository } from './audit.repository';
import { AUDIT_ERRORS } from './audit.errors';
import { PAGE_ERRORS } from '../shared/errors';

export interface AuditFilterInput {
  actor?: string | null;
  targetId?: string | null;
  targetType?: string | null;
  action?: string | null;
  from?: string | null;
  to?: string | null;
}

const MAX_PAGE = 200;
const MAX_ID = 200;
const ACTION = /^[a-z][a-z-]*(\.[a-z][a-z-]*)+$/;
const ACTION_PREFIX = /^[a-z][a-z-]*(\.[a-z][a-z-]*)*\.$/;
const TARGET_TYPE = /^[a-z][a-z-]*$/;
/** An opaque cursor: the time and id of a record. */
export function encodeAuditCursor(record: Pick<AuditRecord, 'time' | '_id'>): string {
  return Buffer.from(JSON.stringify([record.time.toISOString(), record._id])).toString('base64url');
}

function decodeAuditCursor(cursor: string): NonNullable<AuditQuery['after']> {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const at = typeof time === 'string' ? new Date(time) : null;
    if (at && !Number.isNaN(at.getTime()) && typeof id === 'string') return { time: at, id };
  } catch {
    // fall through to the error below
  }
  throw new BadInputError(
    'after',
    'after must be an endCursor returned by auditTrail',
    PAGE_ERRORS.BAD_CURSOR,
  );
}

/** A calendar day (midnight UTC), or a date-time with its offset: an audit query must not depend on the server's zone. */
function instant(field: string, value: string): Date {
  const date = parseIsoDateTime(value, { requireOffset: true });
  if (!date) {
    throw new BadInputError(
      field,
      `${field} must be an ISO 8601 date or a date-time with an offset, e.g. 2027-01-04T08:00:00Z`,
      AUDIT_ERRORS.BAD_TIME,
    );
  }
  return date;
}

function identifier(field: string, value: string): string {
  if (value.length === 0 || value.length > MAX_ID) {
    throw new BadInputError(field, `${field} must have 1 to ${MAX_ID} characters`, AUDIT_ERRORS.BAD_FILTER);
  }
  return value;
}

/** Turns graph arguments into a store query; every fault is BAD_USER_INPUT naming the argument. */
export function auditQuery(args: {
  filter?: AuditFilterInput | null;
  first?: number | null;
  after?: string | null;
}): AuditQuery {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE}`, PAGE_ERRORS.BAD_SIZE);
  }
  const filter = args.filter ?? {};
  const query: AuditQuery = { limit: first };
  if (filter.actor != null) query.actor = identifier('filter.actor', filter.actor);
  if (filter.targetId != null) query.targetId = identifier('filter.targetId', filter.targetId);
  if (filter.targetType != null) {
    if (!TARGET_TYPE.test(filter.targetType)) {
      throw new BadInputError(
        'filter.targetType',
        'targetType must be a kind of target such as user, organization or credential',
        AUDIT_ERRORS.BAD_FILTER,
      );
    }
    query.targetType = filter.targetType;
  }
  if (filter.action != null) {
    if (ACTION.test(filter.action)) query.action = { exact: filter.action };
    else if (ACTION_PREFIX.test(filter.action)) query.action = { prefix: filter.action };
    else {
      throw new BadInputError(
        'filter.action',
        'action must be an action such as user.suspended, or a prefix ending in a dot such as user.',
        AUDIT_ERRORS.BAD_FILTER,
      );
    }
  }
  if (filter.from != null) query.from = instant('filter.from', filter.from);
  if (filter.to != null) query.to = instant('filter.to', filter.to);
  if (query.from && query.to && query.to.getTime() <= query.from.getTime()) {
    throw new BadInputError('filter.to', 'to must be after from', AUDIT_ERRORS.EMPTY_RANGE);
  }
  if (args.after) query.after = decodeAuditCursor(args.after);
  return query;
}

/** One page, newest first, plus whether another follows: reads one record more than asked. */
export async function listAuditTrail(query: AuditQuery, trail: AuditRepository) {
  const rows = await trail.list({ ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    edges: page.map((node) => ({ cursor: encodeAuditCursor(node), node })),
    pageInfo: { hasNextPage: rows.length > query.limit, endCursor: last ? encodeAuditCursor(last) : null },
  };
}
