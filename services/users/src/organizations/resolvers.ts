import { policy } from '@concierge/kit';
import { createOrganization, type CreateOrganizationInput } from './create-organization';
import { moveOrganization } from './move-organization';
import type { OrganizationKind } from './organization.model';
import type { OrganizationRepository, Organization as Org } from './organization.repository';
import { updateOrganization, type UpdateOrganizationInput } from './update-organization';
import { requestDeps, type ServiceContext } from '../shared/request';
import type { OrganizationsDeps } from './deps';
import type { OrgTree } from './org-tree';

/** What the organisation resolvers need of a request. */
export interface OrganizationsContext extends ServiceContext {
  orgs: OrganizationRepository;
  /** The organisation tree, read once per request when first needed. */
  tree(): Promise<OrgTree<Org>>;
}

function organizationsDeps(ctx: OrganizationsContext): OrganizationsDeps {
  return { ...requestDeps(ctx), orgs: ctx.orgs };
}

export const Organization = {
  __resolveReference: async (ref: { id: string }, ctx: OrganizationsContext) => {
    policy.require(ctx.principal, 'organization:read', { organizationId: ref.id });
    return (await ctx.tree()).get(ref.id) ?? null;
  },
  id: (org: Org) => org._id,
  parent: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    org.parentId ? ((await ctx.tree()).get(org.parentId) ?? null) : null,
  children: async (org: Org, _: unknown, ctx: OrganizationsContext) => (await ctx.tree()).childrenOf(org._id),
  ancestors: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    (await ctx.tree()).ancestorsOf(org._id),
  effectiveAttributeDefinitions: async (org: Org, _: unknown, ctx: OrganizationsContext) => [
    ...(await ctx.tree()).effectiveDefinitions(org._id).values(),
  ],
};

export const organizationQueries = {
  organization: async (_: unknown, args: { id: string }, ctx: OrganizationsContext) => {
    policy.require(ctx.principal, 'organization:read', { organizationId: args.id });
    return (await ctx.tree()).get(args.id) ?? null;
  },
  organizations: async (_: unknown, args: { kind?: OrganizationKind }, ctx: OrganizationsContext) => {
    policy.require(ctx.principal, 'organization:read');
    const all = await ctx.orgs.all();
    return args.kind ? all.filter((o) => o.kind === args.kind) : all;
  },
};

export const organizationMutations = {
  createOrganization: async (
    _: unknown,
    args: { input: CreateOrganizationInput },
    ctx: OrganizationsContext,
  ) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.input.parentId ?? undefined });
    return createOrganization(args.input, organizationsDeps(ctx));
  },
  updateOrganization: async (
    _: unknown,
    args: { id: string; input: UpdateOrganizationInput },
    ctx: OrganizationsContext,
  ) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.id });
    return updateOrganization(args.id, args.input, organizationsDeps(ctx));
  },
  moveOrganization: async (
    _: unknown,
    args: { id: string; parentId?: string | null },
    ctx: OrganizationsContext,
  ) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.id });
    return moveOrganization(args.id, args.parentId ?? null, organizationsDeps(ctx));
  },
};
