import { policy } from '@concierge/kit';
import { createOrganization, type CreateOrganizationInput } from './create-organization';
import { moveOrganization } from './move-organization';
import type { OrganizationKind } from './organization.model';
import type { OrganizationRepository, Organization as Org } from './organization.repository';
import { updateOrganization, type UpdateOrganizationInput } from './update-organization';
import { requestDeps, type ServiceContext } from '../shared/request';
import type { OrganizationsDeps } from './deps';
import { placeOf } from './org-scope';
import type { OrgTree } from './org-tree';
import {
  mayReadDetail,
  orgAccess,
  readsWholeTree,
  type OrgAccess,
  type OrgReadFacts,
} from './org-read-policy';

/** What the organisation resolvers need of a request. */
export interface OrganizationsContext extends ServiceContext {
  orgs: OrganizationRepository;
  /** The organisation tree, read once per request when first needed. */
  tree(): Promise<OrgTree<Org>>;
  /** The request's user loader: the caller's own record names the organisation they belong to. */
  userById: { load(id: string): Promise<{ organizationId: string } | null> };
}

function organizationsDeps(ctx: OrganizationsContext): OrganizationsDeps {
  return { ...requestDeps(ctx), orgs: ctx.orgs };
}

/** What the read policy needs of this request; an administrator's own record is not read. */
async function readFacts(ctx: OrganizationsContext): Promise<OrgReadFacts<Org>> {
  const { principal } = ctx;
  const tree = await ctx.tree();
  if (principal.kind !== 'user' || !principal.userId || readsWholeTree(principal)) {
    return { tree, ownOrganizationId: null };
  }
  const self = await ctx.userById.load(principal.userId);
  return { tree, ownOrganizationId: self?.organizationId ?? null };
}

/**
 * What the caller may read of organisation `id`. A caller whose roles reach it reads it all
 * without their own user record being read; only others are placed by their own organisation.
 */
async function accessOf(id: string, ctx: OrganizationsContext): Promise<OrgAccess | null> {
  const tree = await ctx.tree();
  if (policy.can(ctx.principal, 'organization:read', placeOf(id, tree))) return 'all';
  return orgAccess(ctx.principal, id, await readFacts(ctx));
}

async function accessTo(org: Org, ctx: OrganizationsContext): Promise<OrgAccess | null> {
  return accessOf(org._id, ctx);
}

/** The organisation `id` if the caller may read it, otherwise null as if there were none. */
export async function readableOrganization(id: string, ctx: OrganizationsContext): Promise<Org | null> {
  return (await accessOf(id, ctx)) ? ((await ctx.tree()).get(id) ?? null) : null;
}

/** The organisations of `list` the caller may read, in the same order. */
async function readableOnly(list: Org[], ctx: OrganizationsContext): Promise<Org[]> {
  const access = await Promise.all(list.map((org) => accessOf(org._id, ctx)));
  return list.filter((_, i) => access[i] !== null);
}

export const Organization = {
  __resolveReference: (ref: { id: string }, ctx: OrganizationsContext) => {
    policy.requireUser(ctx.principal);
    return readableOrganization(ref.id, ctx);
  },
  id: (org: Org) => org._id,
  code: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    mayReadDetail(await accessTo(org, ctx), 'code') ? org.code : null,
  kind: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    mayReadDetail(await accessTo(org, ctx), 'kind') ? org.kind : null,
  parent: (org: Org, _: unknown, ctx: OrganizationsContext) =>
    org.parentId ? readableOrganization(org.parentId, ctx) : null,
  children: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    readableOnly((await ctx.tree()).childrenOf(org._id), ctx),
  ancestors: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    readableOnly((await ctx.tree()).ancestorsOf(org._id), ctx),
  attributeDefinitions: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    mayReadDetail(await accessTo(org, ctx), 'attributeDefinitions') ? org.attributeDefinitions : [],
  effectiveAttributeDefinitions: async (org: Org, _: unknown, ctx: OrganizationsContext) =>
    mayReadDetail(await accessTo(org, ctx), 'effectiveAttributeDefinitions')
      ? [...(await ctx.tree()).effectiveDefinitions(org._id).values()]
      : [],
};

export const organizationQueries = {
  organization: (_: unknown, args: { id: string }, ctx: OrganizationsContext) => {
    policy.requireUser(ctx.principal);
    return readableOrganization(args.id, ctx);
  },
  organizations: async (_: unknown, args: { kind?: OrganizationKind }, ctx: OrganizationsContext) => {
    policy.requireUser(ctx.principal);
    const facts = await readFacts(ctx);
    const listed = facts.tree.all().flatMap((org) => {
      const access = orgAccess(ctx.principal, org._id, facts);
      if (access === null) return [];
      // An organisation whose kind the caller may not read never matches a kind filter.
      if (args.kind && !(mayReadDetail(access, 'kind') && org.kind === args.kind)) return [];
      return [{ org, access }];
    });
    // The tree is read ordered by code; a caller who may not read every code gets the list from
    // the top down, so the order tells nothing about codes they may not read.
    if (listed.some((l) => !mayReadDetail(l.access, 'code'))) {
      const depth = (org: Org) => facts.tree.ancestorsOf(org._id).length;
      listed.sort((a, b) => depth(a.org) - depth(b.org));
    }
    return listed.map((l) => l.org);
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
