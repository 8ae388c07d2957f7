import { BadInputError } from '@concierge/kit';

/** The stable codes of refused page arguments, shared by every list of this service. */
export const PAGE_ERRORS = {
  BAD_CURSOR: 'PAGE.BAD_CURSOR',
  BAD_SIZE: 'PAGE.BAD_SIZE',
} as const;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/**
 * A Relay connection over rows already read and ordered (by `key`, unique per row). The lists of
 * this service are a person's or an object's own (their requests, tasks, grants): each is read
 * with one equality lookup on an indexed field, and ordered and cut here, because FerretDB would
 * read the whole collection to sort or to range over it (README, "Storage").
 */
export function connectionOf<T>(rows: readonly T[], key: (row: T) => string, args: PageArgs): Connection<T> {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > 100)
    throw new BadInputError('first', 'first must be between 1 and 100', PAGE_ERRORS.BAD_SIZE);
  let start = 0;
  if (args.after != null) {
    const after = decodeCursor(args.after);
    start = rows.findIndex((row) => key(row) > after);
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + first);
  const edges = page.map((node) => ({ cursor: encodeCursor(key(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: start + first < rows.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: rows.length,
  };
}

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (key === '' || Buffer.from(key, 'utf8').toString('base64url') !== cursor)
    throw new BadInputError('after', 'after is not a cursor of this list', PAGE_ERRORS.BAD_CURSOR);
  return key;
}

/** A key that orders rows newest first: the time counted down, then the id. */
export function newestFirst(at: Date, id: string): string {
  return `${String(9_999_999_999_999 - at.getTime()).padStart(13, '0')}:${id}`;
}
