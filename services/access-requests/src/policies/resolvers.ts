import { BadInputError, NotFoundError, policy } from '@concierge/kit';
import { applicationPlace, type AccessContext } from '../context';
import { iso, ref, requestDeps } from '../shared/request';
import type { ApprovalPolicy, ApproverSpec } from './approval-policy';
import { POLICY_ERRORS } from './policies.errors';
import { createPolicy, updatePolicy, type PolicyDeps, type PolicyInput } from './publish-policy';

function policyDeps(ctx: AccessContext): PolicyDeps {
  return { ...requestDeps(ctx), policies: ctx.stores.policies, directory: ctx.stores.directory };
}

/** A global policy is the administrators'; an application's policy its owners' too. */
async function requirePolicyManager(
  ctx: AccessContext,
  applicationId: string | null | undefined,
): Promise<void> {
  policy.requireUser(ctx.principal);
  if (!applicationId) return policy.requireAdmin(ctx.principal);
  const application = await ctx.applicationById.load(applicationId);
  if (!application) {
    policy.requireAdmin(ctx.principal);
    throw new BadInputError(
      'applicationId',
      `No such application: ${applicationId}`,
      POLICY_ERRORS.UNKNOWN_APPLICATION,
    );
  }
  policy.require(ctx.principal, 'approval-policy:manage', applicationPlace(application));
}

export const policyResolvers = {
  Query: {
    // Policies say who approves what: readable by every signed-in user, like the catalogue.
    approvalPolicies: (_: unknown, __: unknown, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return ctx.stores.policies.list();
    },
    approvalPolicy: (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.requireUser(ctx.principal);
      return ctx.policyById.load(args.id);
    },
  },
  Mutation: {
    createApprovalPolicy: async (_: unknown, args: { input: PolicyInput }, ctx: AccessContext) => {
      await requirePolicyManager(ctx, args.input.applicationId);
      return createPolicy(args.input, policyDeps(ctx));
    },
    updateApprovalPolicy: async (
      _: unknown,
      args: { id: string; input: PolicyInput },
      ctx: AccessContext,
    ) => {
      policy.requireUser(ctx.principal);
      const current = await ctx.policyById.load(args.id);
      if (!current) throw new NotFoundError('ApprovalPolicy', args.id);
      await requirePolicyManager(ctx, current.applicationId);
      return updatePolicy(args.id, args.input, policyDeps(ctx));
    },
  },
  ApprovalPolicy: {
    id: (p: ApprovalPolicy) => p._id,
    application: (p: ApprovalPolicy, _: unknown, ctx: AccessContext) =>
      p.applicationId ? ctx.applicationById.load(p.applicationId) : null,
    stages: (p: ApprovalPolicy) => p.definition.stages,
    reminders: (p: ApprovalPolicy) => p.definition.reminders,
    escalation: (p: ApprovalPolicy) => p.definition.escalation,
    finalAction: (p: ApprovalPolicy) => p.definition.finalAction,
    whenNoApprover: (p: ApprovalPolicy) => p.definition.whenNoApprover,
    updatedAt: (p: ApprovalPolicy) => iso(p.updatedAt),
  },
  ApproverRule: {
    users: (spec: ApproverSpec) => (spec.userIds ?? []).map((id) => ref('User', id)),
  },
};
