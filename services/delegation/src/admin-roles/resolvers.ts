import { BUILT_IN_ROLES, policy } from '@concierge/kit';
import { callerDeps } from '../shared/caller';
import { assignRole, type AssignRoleInput } from './assign-role';
import { missingAuthority, scopePath } from './authority';
import type { AdminRolesContext } from './context';
import { defineRole } from './define-role';
import type { AdminRolesDeps } from './deps';
import { revokeRole } from './revoke-role';
import type { CustomRole, RoleAssignment } from './role-assignment';

function adminRolesDeps(ctx: AdminRolesContext): AdminRolesDeps {
  return {
    ...callerDeps(ctx),
    adminRoles: ctx.adminRoles,
    directory: ctx.directory,
    organizations: ctx.organizations,
    applications: ctx.applications,
  };
}

type Status = 'SCHEDULED' | 'ACTIVE' | 'EXPIRED' | 'REVOKED';

export function statusOf(a: RoleAssignment, now: Date): Status {
  if (a.revokedAt) return 'REVOKED';
  if (now < a.validFrom) return 'SCHEDULED';
  return a.validTo && a.validTo <= now ? 'EXPIRED' : 'ACTIVE';
}

/** Whether the caller may see an assignment: its holder, or whoever could have assigned it. */
async function maySee(ctx: AdminRolesContext, a: RoleAssignment): Promise<boolean> {
  if (ctx.principal.userId === a.userId || policy.isAdmin(ctx.principal)) return true;
  const path = await scopePath(a.scope, ctx.organizations);
  return missingAuthority(ctx.principal, a.scope, path, a.capabilities).length === 0;
}

const builtIn = Object.entries(BUILT_IN_ROLES).map(([name, capabilities]) => ({
  name,
  capabilities: [...capabilities],
  builtIn: true,
  description: null,
}));

const customRole = (r: CustomRole) => ({
  name: r._id,
  capabilities: r.capabilities,
  builtIn: false,
  description: r.description,
});

export const AdminRoleAssignment = {
  id: (a: RoleAssignment) => a._id,
  user: (a: RoleAssignment) => ({ __typename: 'User', id: a.userId }),
  scope: (a: RoleAssignment) => ({
    kind: a.scope.kind,
    id: a.scope.kind === 'GLOBAL' ? null : a.scope.id,
    subtree: a.scope.kind === 'ORGANIZATION' ? a.scope.subtree : a.scope.kind === 'PARTNER',
  }),
  validFrom: (a: RoleAssignment) => a.validFrom.toISOString(),
  validTo: (a: RoleAssignment) => a.validTo?.toISOString() ?? null,
  status: (a: RoleAssignment) => statusOf(a, new Date()),
  assignedAt: (a: RoleAssignment) => a.assignedAt.toISOString(),
  revokedAt: (a: RoleAssignment) => a.revokedAt?.toISOString() ?? null,
};

export const adminRolesUserFields = {
  adminRoles: async (
    user: { id: string },
    args: { includeEnded: boolean },
    ctx: AdminRolesContext,
  ): Promise<RoleAssignment[]> => {
    policy.requireUser(ctx.principal);
    const now = new Date();
    const all = (await ctx.adminRoles.assignmentsOf(user.id)).filter(
      (a) => args.includeEnded || statusOf(a, now) === 'ACTIVE' || statusOf(a, now) === 'SCHEDULED',
    );
    const visible = await Promise.all(all.map((a) => maySee(ctx, a)));
    return all
      .filter((_, i) => visible[i])
      .sort((a, b) => b.assignedAt.getTime() - a.assignedAt.getTime() || a._id.localeCompare(b._id));
  },
};

export const adminRolesQueries = {
  adminRoles: async (_: unknown, __: unknown, ctx: AdminRolesContext) => {
    policy.requireUser(ctx.principal);
    const custom = (await ctx.adminRoles.customRoles()).sort((a, b) => a._id.localeCompare(b._id));
    return [...builtIn, ...custom.map(customRole)];
  },
};

export const adminRolesMutations = {
  assignAdminRole: (_: unknown, args: { input: AssignRoleInput }, ctx: AdminRolesContext) =>
    assignRole(args.input, adminRolesDeps(ctx)),
  revokeAdminRole: (_: unknown, args: { id: string; reason?: string | null }, ctx: AdminRolesContext) =>
    revokeRole(args.id, { reason: args.reason }, adminRolesDeps(ctx)),
  defineAdminRole: async (
    _: unknown,
    args: { name: string; capabilities: string[]; description?: string | null },
    ctx: AdminRolesContext,
  ) => customRole(await defineRole(args, adminRolesDeps(ctx))),
};
