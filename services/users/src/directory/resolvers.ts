import { NotFoundError, policy, type Capability } from '@concierge/kit';
import type { User as UserRow, UserQuery, UserRepository } from './user.repository';
import { createUser, type CreateUserInput } from './create-user';
import { listUsers, SORT_FIELDS, userQuery, type UserFilterInput } from './list-users';
import { updateUser, type UpdateUserInput } from './update-user';
import type DataLoader from 'dataloader';
import { readableOrganization, type OrganizationsContext } from '../organizations/resolvers';
import { requestDeps } from '../shared/request';
import type { CredentialEffects } from './credential-effects';
import type { UsersDeps } from './deps';

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
  return policy.can(ctx.principal, 'user:read', { userId: user._id, organizationId: user.organizationId })
    ? user
    : null;
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
  directReports: async (user: UserRow, _: unknown, ctx: DirectoryContext) =>
    (await ctx.directReports.load(user._id)).filter((u) =>
      policy.can(ctx.principal, 'user:read', { userId: u._id, organizationId: u.organizationId }),
    ),
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
  const user = await ctx.userById.load(id);
  policy.require(ctx.principal, capability, { userId: id, organizationId: user?.organizationId });
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
    policy.require(ctx.principal, 'user:list', { organizationId: args.filter?.organizationId ?? undefined });
    const query = userQuery({ ...args, sort: SORT_FIELDS[args.sort] }, await ctx.tree());
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
    policy.require(ctx.principal, 'user:create', { organizationId: args.input.organizationId });
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
        organizationId: args.input.organizationId,
      });
    }
    const input = { ...args.input, attributes: attributeMap(args.input.attributes) };
    return updateUser(args.id, input, directoryDeps(ctx));
  },
};
