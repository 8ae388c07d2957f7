import { policy } from '@concierge/kit';
import type { Organization as Org } from '../data/organization.repository';
import type { UsersContext } from '../context';

export const Organization = {
  __resolveReference: async (ref: { id: string }, ctx: UsersContext) => {
    policy.require(ctx.principal, 'organization:read', { organizationId: ref.id });
    return (await ctx.tree()).get(ref.id) ?? null;
  },
  id: (org: Org) => org._id,
  parent: async (org: Org, _: unknown, ctx: UsersContext) =>
    org.parentId ? ((await ctx.tree()).get(org.parentId) ?? null) : null,
  children: async (org: Org, _: unknown, ctx: UsersContext) => (await ctx.tree()).childrenOf(org._id),
  ancestors: async (org: Org, _: unknown, ctx: UsersContext) => (await ctx.tree()).ancestorsOf(org._id),
  effectiveAttributeDefinitions: async (org: Org, _: unknown, ctx: UsersContext) => [
    ...(await ctx.tree()).effectiveDefinitions(org._id).values(),
  ],
};
