import { NotFoundError, policy } from '@concierge/kit';
import type { OrganizationKind } from '../data/organization.model';
import type { UserQuery } from '../data/user.repository';
import { listUsers, SORT_FIELDS, userQuery, type UserFilterInput } from '../domain/list-users';
import type { UsersContext } from '../context';
import { visibleUser } from './user';

export const Query = {
  user: (_: unknown, args: { id: string }, ctx: UsersContext) => visibleUser(args.id, ctx),
  me: async (_: unknown, __: unknown, ctx: UsersContext) => {
    policy.requireUser(ctx.principal);
    const user = await ctx.userById.load(ctx.principal.userId);
    if (!user) throw new NotFoundError('User', ctx.principal.userId);
    return user;
  },
  users: async (
    _: unknown,
    args: { filter?: UserFilterInput; first?: number; after?: string; sort: keyof typeof SORT_FIELDS },
    ctx: UsersContext,
  ) => {
    policy.require(ctx.principal, 'user:list', { organizationId: args.filter?.organizationId ?? undefined });
    const query = userQuery({ ...args, sort: SORT_FIELDS[args.sort] }, await ctx.tree());
    const page = await listUsers(query, ctx.users);
    for (const edge of page.edges) ctx.userById.prime(edge.node._id, edge.node);
    return page;
  },
  organization: async (_: unknown, args: { id: string }, ctx: UsersContext) => {
    policy.require(ctx.principal, 'organization:read', { organizationId: args.id });
    return (await ctx.tree()).get(args.id) ?? null;
  },
  organizations: async (_: unknown, args: { kind?: OrganizationKind }, ctx: UsersContext) => {
    policy.require(ctx.principal, 'organization:read');
    const all = await ctx.orgs.all();
    return args.kind ? all.filter((o) => o.kind === args.kind) : all;
  },
};

export const UserConnection = {
  totalCount: (page: { query: UserQuery }, _: unknown, ctx: UsersContext) => ctx.users.count(page.query),
};
