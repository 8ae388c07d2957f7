import { BadInputError } from '@concierge/kit';
import { INBOX_ERRORS } from './inbox.errors';
import type { Notification } from './notification.repository';

/** The graph's page arguments, as they arrive (null when the client passes null). */
export interface InboxPageArgs {
  first?: number | null;
  after?: string | null;
  unreadOnly?: boolean | null;
}

/** A position in the inbox order: the time and id of the last notification already seen. */
interface Position {
  createdAt: Date;
  id: string;
}

/** A checked page request. */
export interface InboxPageQuery {
  first: number;
  after: Position | null;
  unreadOnly: boolean;
}

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

/** Checks `first` (1 to 100): BAD_USER_INPUT naming it otherwise. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE}`, INBOX_ERRORS.BAD_SIZE);
  }
  return size;
}

/** An opaque cursor: the time and id of a notification. */
export function encodeCursor(n: Pick<Notification, 'createdAt' | '_id'>): string {
  return Buffer.from(JSON.stringify([n.createdAt.toISOString(), n._id])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [time, id] = parsed as unknown[];
      const createdAt = typeof time === 'string' ? new Date(time) : null;
      if (createdAt && !Number.isNaN(createdAt.getTime()) && typeof id === 'string' && id !== '')
        return { createdAt, id };
    }
  } catch {
    // not base64url JSON: refused below
  }
  throw new BadInputError(
    'after',
    'after must be an endCursor returned by myNotifications',
    INBOX_ERRORS.BAD_CURSOR,
  );
}

/** Turns the graph arguments into a page request; every fault is BAD_USER_INPUT naming the argument. */
export function inboxPageQuery(args: InboxPageArgs): InboxPageQuery {
  return {
    first: pageSize(args.first),
    after: args.after ? decodeCursor(args.after) : null,
    unreadOnly: args.unreadOnly ?? false,
  };
}

/** The inbox order: newest first, and by id (descending) among notifications of the same instant. */
export function newestFirst(a: Position, b: Position): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

const positionOf = (n: Notification): Position => ({ createdAt: n.createdAt, id: n._id });

/** The first `count` notifications of a list in inbox order. */
export function latest(notifications: readonly Notification[], count: number): Notification[] {
  return [...notifications].sort((a, b) => newestFirst(positionOf(a), positionOf(b))).slice(0, count);
}

/** A page of notifications (Relay cursor connection) with the count of unread ones. */
export interface NotificationPage {
  edges: { cursor: string; node: Notification }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  unreadCount: number;
}

/**
 * One page of a user's whole inbox, given in any order: sorted here, then cut after the cursor.
 * The cursor is a position, not an index, so a notification arriving between two pages neither
 * repeats nor hides one (it is newer than every cursor, and shows on the first page).
 */
export function inboxPage(inbox: readonly Notification[], query: InboxPageQuery): NotificationPage {
  const { after } = query;
  const listed = inbox
    .filter((n) => !query.unreadOnly || n.readAt === null || n.readAt === undefined)
    .filter((n) => !after || newestFirst(after, positionOf(n)) < 0)
    .sort((a, b) => newestFirst(positionOf(a), positionOf(b)));
  const page = listed.slice(0, query.first);
  const last = page[page.length - 1];
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node), node })),
    pageInfo: { hasNextPage: listed.length > page.length, endCursor: last ? encodeCursor(last) : null },
    unreadCount: inbox.filter((n) => !n.readAt).length,
  };
}
