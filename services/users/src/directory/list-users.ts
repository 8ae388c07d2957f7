import { BadInputError } from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import type { EmployeeType, UserStatus } from './user.model';
import { positionOf, queryWords } from './user-listing';
import type { User, UserQuery, UserRepository, UserSortField } from './user.repository';
import type { OrgTree } from '../organizations/org-tree';
import { ORGANIZATION_ERRORS } from '../organizations/organization.errors';
import { PAGE_ERRORS } from '../shared/errors';

export interface UserFilterInput {
  organizationId?: string | null;
  includeSubOrganizations?: boolean | null;
  status?: UserStatus[] | null;
  managerId?: string | null;
  employeeType?: EmployeeType[] | null;
  text?: string | null;
}

export const SORT_FIELDS: Record<'DISPLAY_NAME' | 'EMAIL' | 'CREATED_AT', UserSortField> = {
  DISPLAY_NAME: 'displayName',
  EMAIL: 'email',
  CREATED_AT: 'createdAt',
};

const MAX_PAGE = 200;

/** An opaque cursor: the sort field, the row's sort key and its id. */
export function encodeCursor(sort: UserSortField, user: User): string {
  const { key, id } = positionOf(sort, user);
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}

function decodeCursor(sort: UserSortField, cursor: string): UserQuery['after'] {
  try {
    const [field, key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (field === sort && typeof key === 'string' && typeof id === 'string') return { key, id };
  } catch {
    // fall through to the error below
  }
  throw new BadInputError(
    'after',
    'after must be an endCursor returned by the same query and sort',
    PAGE_ERRORS.BAD_CURSOR,
  );
}

/** Turns graph arguments into a store query; every fault is BAD_USER_INPUT naming the argument. */
export function userQuery(
  args: {
    filter?: UserFilterInput | null;
    first?: number | null;
    after?: string | null;
    sort: UserSortField;
  },
  tree: OrgTree<Organization>,
): UserQuery {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE}`, PAGE_ERRORS.BAD_SIZE);
  }
  const filter = args.filter ?? {};
  const query: UserQuery = { sort: args.sort, limit: first };
  if (filter.organizationId) {
    if (!tree.get(filter.organizationId)) {
      throw new BadInputError('filter.organizationId', 'No such organisation', ORGANIZATION_ERRORS.NOT_FOUND);
    }
    const ids =
      filter.includeSubOrganizations === false
        ? [filter.organizationId]
        : tree.subtreeIds(filter.organizationId);
    // A subtree that is every organisation is the list of everyone, read as one list.
    if (ids.length < tree.all().length) query.organizationIds = ids;
  }
  if (filter.status?.length) query.status = filter.status;
  if (filter.employeeType?.length) query.employeeType = filter.employeeType;
  if (filter.managerId) query.managerId = filter.managerId;
  if (filter.text) {
    if (filter.text.length > 100) {
      throw new BadInputError(
        'filter.text',
        'text must have at most 100 characters',
        PAGE_ERRORS.TEXT_TOO_LONG,
      );
    }
    const words = queryWords(filter.text);
    if (words.length === 0) {
      throw new BadInputError('filter.text', 'text must contain a letter or a digit', PAGE_ERRORS.TEXT_EMPTY);
    }
    query.words = words;
  }
  if (args.after) query.after = decodeCursor(args.sort, args.after);
  return query;
}

/** One page plus whether another follows: reads one row more than asked. */
export async function listUsers(query: UserQuery, users: UserRepository) {
  const rows = await users.list({ ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(query.sort, node), node })),
    pageInfo: {
      hasNextPage: rows.length > query.limit,
      endCursor: page.length > 0 ? encodeCursor(query.sort, page[page.length - 1] as User) : null,
    },
    query,
  };
}
