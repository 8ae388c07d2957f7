import { ForbiddenError, NotFoundError, policy, type Capability } from '@concierge/kit';
import type { User as UserRow, UserQuery, UserRepository } from './user.repository';
import { createUser, type CreateUserInput } from './create-user';
import { listUsers, SORT_FIELDS, userQuery, type UserFilterInput } from './list-users';
import { updateUser, type UpdateUserInput } from './update-user';
import type DataLoader from 'dataloader';
import { readableOrganization, type OrganizationsContext } from '../organizations/resolvers';
import { requestDeps } from '../shared/request';
import type { CredentialEffects } from './credential-effects';
import type { UsersDeps } from './deps';
import { placeOf, reachableOrganizations, userPlace } from '../organizations/org-scope';

/** What the directory's resolvers (and the use cases they call) need of a request. */
export interface DirectoryContext extends OrganizationsContext {
  users: UserRepository;
  userById: DataLoader<string, UserRow | null>;
  directReports: DataLoader<string, UserRow[]>;
  /** What a user's activation or deactivation does to their credentials. */
  credentialEffects: CredentialEffects;
}

/** The deps of the users use cases, for this request. */
export function directoryDeps(ctx: DirectoryContext): UsersDeps & { credentialEffects: CredentialEffects } {
  return { ...requestDeps(ctx), users: ctx.users, orgs: ctx.orgs, credentialEffects: ctx.credentialEffects };
}

/** A user the caller may read, or null as if absent (so ids of others do not leak). */
export async function visibleUser(id: string, ctx: DirectoryContext): Promise<UserRow | null> {
  policy.requireUser(ctx.principal);
  const user = await ctx.userById.load(id);
  if (!user) return null;
  return (await mayRead(user, ctx)) ? user : null;
}

/** How far up a manager chain a read looks (a cycle written by hand cannot hold it). */
const MAX_CHAIN = 32;

/**
 * Whether the caller may read `user`: themselves, an administrator whose scope reaches them, or a
 * manager above them. The chain is walked only when nothing else allows the read.
 */
async function mayRead(user: UserRow, ctx: DirectoryContext): Promise<boolean> {
  const place = userPlace(user, await ctx.tree());
  if (policy.can(ctx.principal, 'user:read', place)) return true;
  const managerIds: string[] = [];
  let next = user.managerId;
  while (next && !managerIds.includes(next) && managerIds.length < MAX_CHAIN) {
    managerIds.push(next);
    if (next === ctx.principal.userId) break;
    next = (await ctx.userById.load(next))?.managerId ?? null;
  }
  return policy.can(ctx.principal, 'user:read', { ...place, managerIds });
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const User = {
  __resolveReference: (ref: { id: string }, ctx: DirectoryContext) => visibleUser(ref.id, ctx),
  id: (user: UserRow) => user._id,
  // Whoever may read a user may read their organisation today (themselves or an administrator);
  // should the read policies ever part, the non-null field fails closed rather than leak.
  organization: (user: UserRow, _: unknown, ctx: DirectoryContext) =>
    readableOrganization(user.organizationId, ctx),
  manager: (user: UserRow, _: unknown, ctx: DirectoryContext) =>
    user.managerId ? visibleUser(user.managerId, ctx) : null,
  directReports: async (user: UserRow, _: unknown, ctx: DirectoryContext) => {
    const reports = await ctx.directReports.load(user._id);
    const shown = await Promise.all(reports.map((u) => mayRead(u, ctx)));
    return reports.filter((_, i) => shown[i]);
  },
  attributes: async (user: UserRow, _: unknown, ctx: DirectoryContext) => {
    const definitions = (await ctx.tree()).effectiveDefinitions(user.organizationId);
    return Object.entries(user.attributes ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({
        name,
        value: String(value),
        type: definitions.get(name)?.type ?? 'STRING',
      }));
  },
  startDate: (user: UserRow) => iso(user.startDate),
  endDate: (user: UserRow) => iso(user.endDate),
  createdAt: (user: UserRow) => user.createdAt.toISOString(),
  updatedAt: (user: UserRow) => user.updatedAt.toISOString(),
};

/** Asks the policy about an existing user (its organisation matters to scoped roles). */
export async function requireOnUser(
  ctx: DirectoryContext,
  capability: Capability,
  id: string,
): Promise<void> {
  policy.requireUser(ctx.principal);
  const [user, tree] = await Promise.all([ctx.userById.load(id), ctx.tree()]);
  policy.require(ctx.principal, capability, { userId: id, ...placeOf(user?.organizationId, tree) });
}

type GraphAttributes = { name: string; value?: string | null }[] | null | undefined;

/** The graph sends attributes as a list of name/value pairs; the domain takes a map. */
function attributeMap(list: GraphAttributes) {
  return list === undefined
    ? undefined
    : Object.fromEntries((list ?? []).map((a) => [a.name, a.value ?? null]));
}

export const directoryQueries = {
  user: (_: unknown, args: { id: string }, ctx: DirectoryContext) => visibleUser(args.id, ctx),
  me: async (_: unknown, __: unknown, ctx: DirectoryContext) => {
    policy.requireUser(ctx.principal);
    const user = await ctx.userById.load(ctx.principal.userId);
    if (!user) throw new NotFoundError('User', ctx.principal.userId);
    return user;
  },
  users: async (
    _: unknown,
    args: { filter?: UserFilterInput; first?: number; after?: string; sort: keyof typeof SORT_FIELDS },
    ctx: DirectoryContext,
  ) => {
    policy.requireUser(ctx.principal);
    const tree = await ctx.tree();
    const reachable = reachableOrganizations(ctx.principal, 'user:list', tree);
    if (reachable !== 'all' && reachable.length === 0)
      throw new ForbiddenError('You do not hold the capability user:list anywhere');
    const query = userQuery({ ...args, sort: SORT_FIELDS[args.sort] }, tree);
    if (reachable !== 'all') {
      // Only the organisations the caller's grants reach, inside the query: pages and counts agree.
      const allowed = new Set(reachable);
      query.organizationIds = (query.organizationIds ?? reachable).filter((id) => allowed.has(id));
    }
    const page = await listUsers(query, ctx.users);
    for (const edge of page.edges) ctx.userById.prime(edge.node._id, edge.node);
    return page;
  },
};

export const UserConnection = {
  totalCount: (page: { query: UserQuery }, _: unknown, ctx: DirectoryContext) => ctx.users.count(page.query),
};

export const directoryMutations = {
  createUser: async (
    _: unknown,
    args: { input: Omit<CreateUserInput, 'attributes'> & { attributes?: GraphAttributes } },
    ctx: DirectoryContext,
  ) => {
    policy.require(ctx.principal, 'user:create', placeOf(args.input.organizationId, await ctx.tree()));
    const input = { ...args.input, attributes: attributeMap(args.input.attributes) };
    return createUser(input, directoryDeps(ctx));
  },
  updateUser: async (
    _: unknown,
    args: { id: string; input: Omit<UpdateUserInput, 'attributes'> & { attributes?: GraphAttributes } },
    ctx: DirectoryContext,
  ) => {
    await requireOnUser(ctx, 'user:update', args.id);
    if (args.input.organizationId) {
      // Moving a user needs the right in the destination too.
      policy.require(ctx.principal, 'user:update', {
        userId: args.id,
        ...placeOf(args.input.organizationId, await ctx.tree()),
      });
    }
    const input = { ...args.input, attributes: attributeMap(args.input.attributes) };
    return updateUser(args.id, input, directoryDeps(ctx));
  },
};
