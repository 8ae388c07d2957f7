import { ForbiddenError, policy } from '@concierge/kit';
import { mayEnd, mayManageDeputiesOf, maySee, requireManage } from './access';
import { createDelegation, type CreateDelegationInput } from './create-delegation';
import type { DeputiesContext } from './context';
import { isLive, statusOf, type Delegation as DelegationRow } from './delegation';
import { delegationNotFound } from './delegation.errors';
import type { DeputiesDeps } from './deps';
import { endDelegation } from './end-delegation';

/** What the deputies' resolvers need of a request: the stores and this request's loaders. */

/** The deps of the deputies use cases, for this request: the caller acts. */
function deputiesDeps(ctx: DeputiesContext, actor: string): DeputiesDeps {
  return {
    delegations: ctx.delegations,
    directory: ctx.directory,
    lease: ctx.lease,
    contracts: ctx.runtime.contracts,
    actor,
    correlationId: ctx.correlationId,
  };
}

type Direction = 'GIVEN' | 'RECEIVED' | 'ALL';

/** A user reference for federation: the users service resolves the rest. */
const userRef = (id: string) => ({ __typename: 'User', id });

export const User = {
  // Nothing to load: a user is only an id here, and the delegations field checks the policy.
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  delegations: async (
    user: { id: string },
    args: { direction: Direction; includeEnded: boolean },
    ctx: DeputiesContext,
  ): Promise<DelegationRow[]> => {
    policy.requireUser(ctx.principal);
    // Delegations the caller may not see read as none, as for a user without delegations.
    if (!(await mayManageDeputiesOf(ctx, user.id))) return [];
    const [given, received] = await Promise.all([
      args.direction === 'RECEIVED' ? [] : ctx.delegationsGiven.load(user.id),
      args.direction === 'GIVEN' ? [] : ctx.delegationsReceived.load(user.id),
    ]);
    const now = new Date();
    // Sorted here, not in the database: a sort there reads the whole collection on FerretDB.
    return [...given, ...received]
      .filter((d) => args.includeEnded || isLive(d, now))
      .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime() || a._id.localeCompare(b._id));
  },
};

export const Delegation = {
  id: (d: DelegationRow) => d._id,
  delegator: (d: DelegationRow) => userRef(d.delegatorId),
  deputy: (d: DelegationRow) => userRef(d.deputyId),
  scope: (d: DelegationRow) => ({
    kind: d.scope.kind,
    applications: d.scope.applicationIds.map((id) => ({ __typename: 'Application', id })),
  }),
  validFrom: (d: DelegationRow) => d.validFrom.toISOString(),
  validTo: (d: DelegationRow) => d.validTo.toISOString(),
  status: (d: DelegationRow) => statusOf(d, new Date()),
  endedAt: (d: DelegationRow) => d.endedAt?.toISOString() ?? null,
};

export const deputiesQueries = {
  delegation: async (_: unknown, args: { id: string }, ctx: DeputiesContext) => {
    policy.requireUser(ctx.principal);
    const d = await ctx.delegationById.load(args.id);
    // One the caller may not see reads as absent, so ids of others' delegations tell nothing.
    return d && (await maySee(ctx, d)) ? d : null;
  },
};

export const deputiesMutations = {
  createDelegation: async (
    _: unknown,
    args: { input: Omit<CreateDelegationInput, 'delegatorId'> & { delegatorId?: string | null } },
    ctx: DeputiesContext,
  ) => {
    policy.requireUser(ctx.principal);
    const delegatorId = args.input.delegatorId ?? ctx.principal.userId;
    await requireManage(ctx, delegatorId);
    return createDelegation({ ...args.input, delegatorId }, deputiesDeps(ctx, ctx.principal.userId));
  },
  endDelegation: async (_: unknown, args: { id: string; reason?: string | null }, ctx: DeputiesContext) => {
    policy.requireUser(ctx.principal);
    const d = await ctx.delegationById.load(args.id);
    if (!d) throw delegationNotFound(args.id);
    if (!(await mayEnd(ctx, d))) {
      throw new ForbiddenError(
        'Only the delegator, their managers, the deputy or an administrator may end this delegation',
      );
    }
    return endDelegation(args.id, { reason: args.reason }, deputiesDeps(ctx, ctx.principal.userId));
  },
};
