import { policy, type Principal } from '@concierge/kit';
import { entitlementRow } from '../catalog/resolvers';
import type { AccessContext } from '../context';
import { standInsOf } from '../deputies/deputies';
import { connectionOf, newestFirst, type PageArgs } from '../shared/page';
import { iso, ref, requestDeps } from '../shared/request';
import type { AccessRequest, Slot, StageState, TimelineEntry } from './access-request';
import { cancelRequest, decideRequest, forwardTask } from './decide-request';
import type { RequestDeps } from './deps';
import { tasksOf, taskKey, type Task } from './list-tasks';
import { requestAccess, requestExtension, requestRemoval, type RequestAccessInput } from './request-access';

/** The deps of the request use cases, for this request. */
export function requestUseCaseDeps(ctx: AccessContext): RequestDeps {
  const { requests, applications, policies, grants, directory, deputies } = ctx.stores;
  return {
    ...requestDeps(ctx),
    requests,
    applications,
    policies,
    grants,
    directory,
    deputies,
    logger: ctx.logger,
  };
}

/** The requester must be the beneficiary, one of their managers, or an administrator. */
async function requireRequestFor(ctx: AccessContext, beneficiaryId: string): Promise<void> {
  policy.requireUser(ctx.principal);
  policy.require(ctx.principal, 'access:request', await ctx.personOf(beneficiaryId));
}

/**
 * Who may read a request: its requester and beneficiary, anyone named in it (approvers past and
 * present), deputies of its open approvers, the beneficiary's managers, the application's owners
 * and administrators.
 */
async function canRead(request: AccessRequest, ctx: AccessContext): Promise<boolean> {
  const principal: Principal = ctx.principal;
  if (principal.kind !== 'user' || !principal.userId) return false;
  const me = principal.userId;
  if (policy.isAdmin(principal) || me === request.requesterId || me === request.beneficiaryId) return true;
  if (request.timeline.some((e) => e.actor === me || e.userIds.includes(me))) return true;
  if (request.stage?.slots.some((s) => s.userId === me)) return true;
  if ((await ctx.managerIdsOf(request.beneficiaryId)).includes(me)) return true;
  const application = await ctx.applicationById.load(request.applicationId);
  if (application?.ownerIds.includes(me)) return true;
  const open = new Set(request.approverIds);
  return (await standInsOf(me, new Date(), ctx.stores.deputies)).some(
    (s) => open.has(s.forUserId) && s.covers(request.applicationId),
  );
}

/** A request the caller may read, or null as if absent (ids of others' requests leak nothing). */
async function readable(request: AccessRequest | null, ctx: AccessContext): Promise<AccessRequest | null> {
  return request && (await canRead(request, ctx)) ? request : null;
}

function requestPage(rows: AccessRequest[], args: PageArgs & { status?: string | null }) {
  const unique = [...new Map(rows.map((r) => [r._id, r])).values()].filter(
    (r) => !args.status || r.status === args.status,
  );
  const key = (r: AccessRequest) => newestFirst(r.createdAt, r._id);
  return connectionOf(
    unique.sort((a, b) => key(a).localeCompare(key(b))),
    key,
    args,
  );
}

function taskPage(tasks: Task[], args: PageArgs) {
  // Ordered by deadline already; the cursor keeps that order with a sortable prefix.
  const key = (t: Task) =>
    `${String((t.request.stage as StageState).deadline.getTime()).padStart(15, '0')}:${taskKey(t)}`;
  return connectionOf(tasks, key, args);
}

export const requestResolvers = {
  Query: {
    accessRequest: async (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return readable(await ctx.requestById.load(args.id), ctx);
    },
    myRequests: async (_: unknown, args: PageArgs & { status?: string | null }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      const me = ctx.principal.userId as string;
      const [made, mine] = await Promise.all([
        ctx.stores.requests.ofRequester(me),
        ctx.stores.requests.ofBeneficiaries([me]),
      ]);
      return requestPage([...made, ...mine], args);
    },
    myApprovals: async (_: unknown, args: PageArgs, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return taskPage(await tasksOf(ctx.principal.userId as string, new Date(), ctx.stores), args);
    },
  },
  Mutation: {
    requestAccess: async (_: unknown, args: { input: RequestAccessInput }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      await requireRequestFor(ctx, args.input.beneficiaryId ?? (ctx.principal.userId as string));
      return requestAccess(args.input, requestUseCaseDeps(ctx));
    },
    requestExtension: async (
      _: unknown,
      args: { grantId: string; validTo: string; justification: string },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      const grant = await ctx.grantById.load(args.grantId);
      // A grant the caller may not extend is as good as missing.
      if (grant) await requireRequestFor(ctx, grant.beneficiaryId);
      return requestExtension(args, requestUseCaseDeps(ctx));
    },
    requestRemoval: async (
      _: unknown,
      args: { grantId: string; justification: string },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      const grant = await ctx.grantById.load(args.grantId);
      // A grant the caller may not ask about is as good as missing.
      if (grant) await requireRequestFor(ctx, grant.beneficiaryId);
      return requestRemoval(args, requestUseCaseDeps(ctx));
    },
    cancelAccessRequest: (_: unknown, args: { id: string; reason?: string | null }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return cancelRequest(args.id, args.reason ?? null, {
        ...requestUseCaseDeps(ctx),
        isAdmin: policy.isAdmin(ctx.principal),
      });
    },
    approveAccessRequest: (
      _: unknown,
      args: { id: string; comment?: string | null; onBehalfOf?: string | null },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      return decideRequest(
        args.id,
        { decision: 'APPROVE', comment: args.comment ?? null, onBehalfOf: args.onBehalfOf ?? null },
        requestUseCaseDeps(ctx),
      );
    },
    rejectAccessRequest: (
      _: unknown,
      args: { id: string; comment: string; onBehalfOf?: string | null },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      return decideRequest(
        args.id,
        { decision: 'REJECT', comment: args.comment, onBehalfOf: args.onBehalfOf ?? null },
        requestUseCaseDeps(ctx),
      );
    },
    forwardApprovalTask: (
      _: unknown,
      args: { id: string; toUserId: string; reason: string; onBehalfOf?: string | null },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      return forwardTask(
        args.id,
        { toUserId: args.toUserId, reason: args.reason, onBehalfOf: args.onBehalfOf ?? null },
        requestUseCaseDeps(ctx),
      );
    },
  },
  User: {
    accessRequests: async (
      user: { id: string },
      args: PageArgs & { status?: string | null },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      // Requests the caller may not see read as none, as for a person who asked for nothing.
      if (!policy.can(ctx.principal, 'access:read', await ctx.personOf(user.id)))
        return requestPage([], args);
      return requestPage(await ctx.stores.requests.ofBeneficiaries([user.id]), args);
    },
    pendingApprovals: async (user: { id: string }, args: PageArgs, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      if (!policy.isSelfOrAdmin(ctx.principal, user.id)) return taskPage([], args);
      return taskPage(await tasksOf(user.id, new Date(), ctx.stores), args);
    },
  },
  AccessRequest: {
    id: (r: AccessRequest) => r._id,
    beneficiary: (r: AccessRequest) => ref('User', r.beneficiaryId),
    requester: (r: AccessRequest) => ref('User', r.requesterId),
    application: (r: AccessRequest, _: unknown, ctx: AccessContext) =>
      ctx.applicationById.load(r.applicationId),
    entitlement: (r: AccessRequest, _: unknown, ctx: AccessContext) =>
      entitlementRow(ctx, r.applicationId, r.entitlementId),
    validFrom: (r: AccessRequest) => iso(r.validFrom),
    validTo: (r: AccessRequest) => iso(r.validTo),
    grant: (r: AccessRequest, _: unknown, ctx: AccessContext) =>
      r.grantId ? ctx.grantById.load(r.grantId) : null,
    currentStage: (r: AccessRequest) => r.stage,
    createdAt: (r: AccessRequest) => iso(r.createdAt),
    decidedAt: (r: AccessRequest) => iso(r.decidedAt),
  },
  RequestStage: {
    deadline: (s: StageState) => iso(s.deadline),
    approvers: (s: StageState) => s.slots,
  },
  StageApprover: {
    user: (s: Slot) => ref('User', s.userId),
    forwardedFrom: (s: Slot) => ref('User', s.forwardedFrom),
    decision: (s: Slot) => s.decision?.decision ?? null,
    decidedBy: (s: Slot) => ref('User', s.decision?.by),
    decidedAt: (s: Slot) => iso(s.decision?.at),
    comment: (s: Slot) => s.decision?.comment ?? null,
  },
  TimelineEntry: {
    at: (e: TimelineEntry) => iso(e.at),
    actor: (e: TimelineEntry) => (e.actor.startsWith('system:') ? null : ref('User', e.actor)),
    actorId: (e: TimelineEntry) => e.actor,
    onBehalfOf: (e: TimelineEntry) => ref('User', e.onBehalfOf),
    users: (e: TimelineEntry) => e.userIds.map((id) => ref('User', id)),
  },
  ApprovalTask: {
    approver: (t: Task) => ref('User', t.slot.userId),
    reason: (t: Task) => t.slot.reason,
    level: (t: Task) => t.slot.level,
    deadline: (t: Task) => iso((t.request.stage as StageState).deadline),
    via: (t: Task) => ref('User', t.via),
  },
};
