import { NotFoundError, policy } from '@concierge/kit';
import { applicationPlace, type AccessContext } from '../context';
import { iso, ref, requestDeps } from '../shared/request';
import { connectionOf, type PageArgs } from '../shared/page';
import type { Application, Entitlement } from './application';
import {
  addEntitlement,
  createApplication,
  updateApplication,
  updateEntitlement,
  type ApplicationInput,
  type CatalogDeps,
  type EntitlementInput,
} from './define-application';

/** The deps of the catalogue's use cases, for this request. */
export function catalogDeps(ctx: AccessContext): CatalogDeps {
  const { applications, policies, directory } = ctx.stores;
  return { ...requestDeps(ctx), applications, policies, directory };
}

/** Administrators and the application's owners may change it; NOT_FOUND when there is none. */
export async function requireManager(ctx: AccessContext, applicationId: string): Promise<Application> {
  policy.requireUser(ctx.principal);
  const application = await ctx.applicationById.load(applicationId);
  if (!application) throw new NotFoundError('Application', applicationId);
  policy.require(ctx.principal, 'application:manage', applicationPlace(application));
  return application;
}

/** An entitlement as the graph shows it: with the id of its application. */
type EntitlementRow = Entitlement & { applicationId: string };

/** The entitlement a request, grant or rule names, as the graph shows it; null once it is gone. */
export async function entitlementRow(
  ctx: AccessContext,
  applicationId: string,
  entitlementId: string,
): Promise<EntitlementRow | null> {
  const application = await ctx.applicationById.load(applicationId);
  const entitlement = application?.entitlements.find((e) => e.id === entitlementId);
  return entitlement ? { ...entitlement, applicationId } : null;
}

export const catalogResolvers = {
  Query: {
    applications: async (_: unknown, args: PageArgs, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return connectionOf(
        await ctx.stores.applications.list(),
        (a) => `${a.name.toLowerCase()}\u0000${a._id}`,
        args,
      );
    },
    application: (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return ctx.applicationById.load(args.id);
    },
  },
  Mutation: {
    createApplication: (_: unknown, args: { input: ApplicationInput }, ctx: AccessContext) => {
      policy.require(ctx.principal, 'application:create');
      return createApplication(args.input, catalogDeps(ctx));
    },
    updateApplication: async (
      _: unknown,
      args: { id: string; input: ApplicationInput },
      ctx: AccessContext,
    ) => {
      await requireManager(ctx, args.id);
      return updateApplication(args.id, args.input, catalogDeps(ctx));
    },
    addEntitlement: async (
      _: unknown,
      args: { applicationId: string; input: EntitlementInput },
      ctx: AccessContext,
    ) => {
      await requireManager(ctx, args.applicationId);
      const entitlement = await addEntitlement(args.applicationId, args.input, catalogDeps(ctx));
      return { ...entitlement, applicationId: args.applicationId };
    },
    updateEntitlement: async (
      _: unknown,
      args: { applicationId: string; entitlementId: string; input: EntitlementInput },
      ctx: AccessContext,
    ) => {
      await requireManager(ctx, args.applicationId);
      const entitlement = await updateEntitlement(
        args.applicationId,
        args.entitlementId,
        args.input,
        catalogDeps(ctx),
      );
      return { ...entitlement, applicationId: args.applicationId };
    },
  },
  Application: {
    // The catalogue is for every signed-in user; an anonymous caller resolves nothing.
    __resolveReference: (reference: { id: string }, ctx: AccessContext) =>
      ctx.principal.kind === 'user' ? ctx.applicationById.load(reference.id) : null,
    id: (a: Application) => a._id,
    owners: (a: Application) => a.ownerIds.map((id) => ref('User', id)),
    requestableBy: (a: Application) => a.requestableBy.map((id) => ref('Organization', id)),
    entitlements: (a: Application): EntitlementRow[] =>
      a.entitlements.map((e) => ({ ...e, applicationId: a._id })),
    createdAt: (a: Application) => iso(a.createdAt),
    updatedAt: (a: Application) => iso(a.updatedAt),
  },
  Entitlement: {
    policy: (e: EntitlementRow, _: unknown, ctx: AccessContext) => ctx.policyById.load(e.policyId),
    application: (e: EntitlementRow, _: unknown, ctx: AccessContext) =>
      ctx.applicationById.load(e.applicationId),
  },
};
