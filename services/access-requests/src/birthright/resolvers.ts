import { ForbiddenError, policy } from '@concierge/kit';
import { entitlementRow } from '../catalog/resolvers';
import { applicationPlaceOf, type AccessContext } from '../context';
import { iso, ref, requestDeps } from '../shared/request';
import type { BirthrightRule } from './birthright-rule';
import { createRule, deleteRule, updateRule, type RuleDeps, type RuleInput } from './define-rule';

function ruleDeps(ctx: AccessContext): RuleDeps {
  const { rules, applications, directory } = ctx.stores;
  return { ...requestDeps(ctx), rules, applications, directory };
}

/** Whether the caller may manage the rules of an application: administrators and its ACCESS_ADMINs. */
async function mayManageRulesOf(ctx: AccessContext, applicationId: string): Promise<boolean> {
  return policy.can(ctx.principal, 'birthright-rule:manage', await applicationPlaceOf(ctx, applicationId));
}

/**
 * Throws unless the caller may manage the rules of the application behind `entitlementId` (when
 * given) and of the rule `ruleId` (when given). Unknown ids are left to the use case's own errors.
 */
async function requireRuleManager(
  ctx: AccessContext,
  target: { entitlementId?: string; ruleId?: string },
): Promise<void> {
  policy.requireUser(ctx.principal);
  if (!policy.holdsAnywhere(ctx.principal, 'birthright-rule:manage'))
    throw new ForbiddenError('You do not hold the capability birthright-rule:manage here');
  if (policy.isAdmin(ctx.principal)) return;
  const applications: string[] = [];
  if (target.entitlementId) {
    const application = await ctx.stores.applications.byEntitlement(target.entitlementId);
    if (application) applications.push(application._id);
  }
  if (target.ruleId) {
    const rule = await ctx.stores.rules.findById(target.ruleId);
    if (rule) applications.push(rule.applicationId);
  }
  for (const id of applications)
    if (!(await mayManageRulesOf(ctx, id)))
      throw new ForbiddenError('You do not hold the capability birthright-rule:manage here');
}

export const birthrightResolvers = {
  Query: {
    birthrightRules: async (_: unknown, __: unknown, ctx: AccessContext) => {
      await requireRuleManager(ctx, {});
      const rules = await ctx.stores.rules.active();
      if (policy.isAdmin(ctx.principal)) return rules;
      const shown = await Promise.all(rules.map((r) => mayManageRulesOf(ctx, r.applicationId)));
      return rules.filter((_, i) => shown[i]);
    },
  },
  Mutation: {
    createBirthrightRule: async (_: unknown, args: { input: RuleInput }, ctx: AccessContext) => {
      await requireRuleManager(ctx, { entitlementId: args.input.entitlementId });
      return createRule(args.input, ruleDeps(ctx));
    },
    updateBirthrightRule: async (_: unknown, args: { id: string; input: RuleInput }, ctx: AccessContext) => {
      await requireRuleManager(ctx, { entitlementId: args.input.entitlementId, ruleId: args.id });
      return updateRule(args.id, args.input, ruleDeps(ctx));
    },
    deleteBirthrightRule: async (_: unknown, args: { id: string }, ctx: AccessContext) => {
      await requireRuleManager(ctx, { ruleId: args.id });
      return deleteRule(args.id, ruleDeps(ctx));
    },
  },
  BirthrightRule: {
    id: (r: BirthrightRule) => r._id,
    organization: (r: BirthrightRule) => ref('Organization', r.organizationId),
    application: (r: BirthrightRule, _: unknown, ctx: AccessContext) =>
      ctx.applicationById.load(r.applicationId),
    entitlement: (r: BirthrightRule, _: unknown, ctx: AccessContext) =>
      entitlementRow(ctx, r.applicationId, r.entitlementId),
    createdAt: (r: BirthrightRule) => iso(r.createdAt),
    updatedAt: (r: BirthrightRule) => iso(r.updatedAt),
  },
};
