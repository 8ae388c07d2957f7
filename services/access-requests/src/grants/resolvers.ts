import { BadInputError, NotFoundError, policy } from '@concierge/kit';
import { entitlementRow } from '../catalog/resolvers';
import { applicationPlace, applicationPlaceOf, type AccessContext } from '../context';
import { connectionOf, newestFirst, type PageArgs } from '../shared/page';
import { iso, ref, requestDeps } from '../shared/request';
import { isLive, type Grant } from './grant';
import { revokeGrant, type GrantDeps } from './grant-changes';
import { grantDirectly, type DirectGrantInput } from './grant-directly';
import { GRANT_ERRORS } from './grants.errors';

interface GrantFilter {
  beneficiaryId?: string | null;
  applicationId?: string | null;
  entitlementId?: string | null;
  includeEnded?: boolean | null;
}

function grantDeps(ctx: AccessContext): GrantDeps {
  return { ...requestDeps(ctx), grants: ctx.stores.grants, logger: ctx.logger };
}

function grantPage(rows: Grant[], args: PageArgs & { includeEnded?: boolean | null }) {
  const key = (g: Grant) => newestFirst(g.createdAt, g._id);
  const shown = rows
    .filter((g) => args.includeEnded || isLive(g))
    .sort((a, b) => key(a).localeCompare(key(b)));
  return connectionOf(shown, key, args);
}

/** Whether the caller may see a person's access: themselves, their managers, administrators. */
async function mayReadAccessOf(ctx: AccessContext, userId: string): Promise<boolean> {
  return policy.can(ctx.principal, 'access:read', await ctx.personOf(userId));
}

/** Whether the caller may see an application's grants: its owners and administrators. */
async function mayReadGrantsOf(ctx: AccessContext, applicationId: string): Promise<boolean> {
  return policy.can(ctx.principal, 'access:read', await applicationPlaceOf(ctx, applicationId));
}

export const grantResolvers = {
  Query: {
    grants: async (_: unknown, args: PageArgs & { filter: GrantFilter }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      const { beneficiaryId, applicationId, entitlementId, includeEnded } = args.filter;
      let rows: Grant[];
      if (beneficiaryId) {
        // Access the caller may not see reads as none: an empty page says nothing of the person.
        const mayRead =
          (await mayReadAccessOf(ctx, beneficiaryId)) ||
          (!!applicationId && (await mayReadGrantsOf(ctx, applicationId)));
        rows = mayRead ? await ctx.stores.grants.ofBeneficiaries([beneficiaryId]) : [];
      } else if (entitlementId || applicationId) {
        const app =
          applicationId ?? (await ctx.stores.applications.byEntitlement(entitlementId as string))?._id;
        if (!app || !(await mayReadGrantsOf(ctx, app))) rows = [];
        else
          rows = entitlementId
            ? await ctx.stores.grants.byEntitlement(entitlementId)
            : await ctx.stores.grants.byApplication(app);
      } else {
        throw new BadInputError(
          'filter',
          'Filter by beneficiaryId, applicationId or entitlementId',
          'GRANT.FILTER_REQUIRED',
        );
      }
      rows = rows.filter(
        (g) =>
          (!applicationId || g.applicationId === applicationId) &&
          (!entitlementId || g.entitlementId === entitlementId) &&
          (!beneficiaryId || g.beneficiaryId === beneficiaryId),
      );
      return grantPage(rows, { ...args, includeEnded });
    },
    grant: async (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      const grant = await ctx.grantById.load(args.id);
      if (!grant) return null;
      const visible =
        (await mayReadAccessOf(ctx, grant.beneficiaryId)) ||
        (await mayReadGrantsOf(ctx, grant.applicationId));
      return visible ? grant : null;
    },
  },
  Mutation: {
    grantAccess: async (_: unknown, args: { input: DirectGrantInput }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      const application = await ctx.stores.applications.byEntitlement(args.input.entitlementId);
      if (!application) throw new NotFoundError('Entitlement', args.input.entitlementId);
      // The application's managers, or an administrator whose scope reaches the person (a
      // PARTNER_ADMIN for their partner's people, within what the partner is provided).
      policy.require(ctx.principal, 'grant:manage', {
        ...(await ctx.personOf(args.input.beneficiaryId)),
        ...applicationPlace(application),
      });
      return grantDirectly(args.input, application, { ...grantDeps(ctx), directory: ctx.stores.directory });
    },
    revokeGrant: async (_: unknown, args: { id: string; reason: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      const grant = await ctx.grantById.load(args.id);
      if (!grant) throw new NotFoundError('Grant', args.id);
      policy.require(ctx.principal, 'grant:manage', {
        ...(await ctx.personOf(grant.beneficiaryId)),
        ...(await applicationPlaceOf(ctx, grant.applicationId)),
      });
      if (args.reason.trim() === '')
        throw new BadInputError('reason', 'Say why the grant is revoked', GRANT_ERRORS.REASON_REQUIRED);
      return revokeGrant(args.id, 'MANUAL', args.reason.trim(), grantDeps(ctx));
    },
  },
  User: {
    grants: async (
      user: { id: string },
      args: PageArgs & { includeEnded?: boolean | null },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      // Access the caller may not see reads as none, as for a person without grants.
      if (!(await mayReadAccessOf(ctx, user.id))) return grantPage([], args);
      return grantPage(await ctx.stores.grants.ofBeneficiaries([user.id]), args);
    },
  },
  Grant: {
    id: (g: Grant) => g._id,
    beneficiary: (g: Grant) => ref('User', g.beneficiaryId),
    application: (g: Grant, _: unknown, ctx: AccessContext) => ctx.applicationById.load(g.applicationId),
    entitlement: (g: Grant, _: unknown, ctx: AccessContext) =>
      entitlementRow(ctx, g.applicationId, g.entitlementId),
    validFrom: (g: Grant) => iso(g.validFrom),
    validTo: (g: Grant) => iso(g.validTo),
    request: (g: Grant, _: unknown, ctx: AccessContext) =>
      g.requestId ? ctx.requestById.load(g.requestId) : null,
    rule: (g: Grant, _: unknown, ctx: AccessContext) =>
      g.ruleId ? ctx.stores.rules.findById(g.ruleId) : null,
    revocationCause: (g: Grant) => g.cause,
    endedAt: (g: Grant) => iso(g.endedAt),
    createdAt: (g: Grant) => iso(g.createdAt),
  },
};
