import { NotFoundError, policy } from '@concierge/kit';
import { applicationPlace, type AccessContext } from '../context';
import { iso, ref, requestDeps } from '../shared/request';
import { connectionOf, type PageArgs } from '../shared/page';
import { provisionFor, type Application, type Entitlement, type PartnerProvision } from './application';
import { provideToPartner, withdrawFromPartner } from './partners';
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

/** The application as the caller may see it: whole, cut to what their partner is provided, or null. */
async function visibleApplication(
  ctx: AccessContext,
  application: Application | null,
): Promise<Application | null> {
  if (!application) return null;
  const partner = await ctx.callerPartner();
  if (!partner) return application;
  const provided = provisionFor(application, partner);
  if (!provided) return null;
  const keep = new Set(provided.entitlementIds);
  return { ...application, entitlements: application.entitlements.filter((e) => keep.has(e.id)) };
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
      const all = await ctx.stores.applications.list();
      const shown = (await Promise.all(all.map((a) => visibleApplication(ctx, a)))).filter(
        (a): a is Application => a !== null,
      );
      return connectionOf(shown, (a) => `${a.name.toLowerCase()}\u0000${a._id}`, args);
    },
    application: async (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return visibleApplication(ctx, await ctx.applicationById.load(args.id));
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
    provideApplicationToPartner: async (
      _: unknown,
      args: { applicationId: string; partnerId: string; entitlementIds: string[] },
      ctx: AccessContext,
    ) => {
      await requireManager(ctx, args.applicationId);
      return provideToPartner(args.applicationId, args, catalogDeps(ctx));
    },
    withdrawApplicationFromPartner: async (
      _: unknown,
      args: { applicationId: string; partnerId: string },
      ctx: AccessContext,
    ) => {
      await requireManager(ctx, args.applicationId);
      return withdrawFromPartner(args.applicationId, args.partnerId, catalogDeps(ctx));
    },
  },
  Application: {
    // The catalogue is for every signed-in user; an anonymous caller resolves nothing.
    __resolveReference: async (reference: { id: string }, ctx: AccessContext) =>
      ctx.principal.kind === 'user'
        ? visibleApplication(ctx, await ctx.applicationById.load(reference.id))
        : null,
    id: (a: Application) => a._id,
    owners: (a: Application) => a.ownerIds.map((id) => ref('User', id)),
    requestableBy: (a: Application) => a.requestableBy.map((id) => ref('Organization', id)),
    partners: (a: Application, _: unknown, ctx: AccessContext) =>
      policy.can(ctx.principal, 'application:manage', applicationPlace(a))
        ? (a.partners ?? []).map((p: PartnerProvision) => ({
            partner: ref('Organization', p.organizationId),
            entitlements: a.entitlements
              .filter((e) => p.entitlementIds.includes(e.id))
              .map((e) => ({ ...e, applicationId: a._id })),
          }))
        : [],
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
