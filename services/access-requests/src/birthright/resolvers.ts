import { policy } from '@concierge/kit';
import { entitlementRow } from '../catalog/resolvers';
import type { AccessContext } from '../context';
import { iso, ref, requestDeps } from '../shared/request';
import type { BirthrightRule } from './birthright-rule';
import { createRule, deleteRule, updateRule, type RuleDeps, type RuleInput } from './define-rule';

function ruleDeps(ctx: AccessContext): RuleDeps {
  const { rules, applications, directory } = ctx.stores;
  return { ...requestDeps(ctx), rules, applications, directory };
}

export const birthrightResolvers = {
  Query: {
    birthrightRules: (_: unknown, __: unknown, ctx: AccessContext) => {
      policy.require(ctx.principal, 'birthright-rule:manage');
      return ctx.stores.rules.active();
    },
  },
  Mutation: {
    createBirthrightRule: (_: unknown, args: { input: RuleInput }, ctx: AccessContext) => {
      policy.require(ctx.principal, 'birthright-rule:manage');
      return createRule(args.input, ruleDeps(ctx));
    },
    updateBirthrightRule: (_: unknown, args: { id: string; input: RuleInput }, ctx: AccessContext) => {
      policy.require(ctx.principal, 'birthright-rule:manage');
      return updateRule(args.id, args.input, ruleDeps(ctx));
    },
    deleteBirthrightRule: (_: unknown, args: { id: string }, ctx: AccessContext) => {
      policy.require(ctx.principal, 'birthright-rule:manage');
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
