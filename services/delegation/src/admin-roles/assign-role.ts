import { randomUUID } from 'node:crypto';
import { policy, type Scope, type ScopeKind } from '@concierge/kit';
import {
  badAssignee,
  badScope,
  escalation,
  notAPartner,
  selfAssignment,
  unknownRole,
} from './admin-roles.errors';
import { roleAssigned } from './admin-roles.events';
import { missingAuthority, reachesAssignee } from './authority';
import type { AdminRolesDeps } from './deps';
import { capabilitiesOf, optionalText, periodOf, scopeOf, type RoleAssignment } from './role-assignment';

export interface AssignRoleInput {
  userId: string;
  role: string;
  scope: { kind: ScopeKind; id?: string | null; subtree?: boolean | null };
  validFrom?: string | null;
  validTo?: string | null;
  reason?: string | null;
}

/**
 * Gives a user an admin role in a scope for a period, and publishes admin-role.assigned. Refuses,
 * storing nothing: oneself as assignee; an unknown role, scope or assignee; a terminated assignee;
 * and any capability the assigner does not hold (with the right to assign) in a scope covering the
 * target one, or a person outside the assigner's part of the business.
 */
export async function assignRole(input: AssignRoleInput, deps: AdminRolesDeps): Promise<RoleAssignment> {
  const now = deps.now ?? new Date();
  policy.requireUser(deps.principal);
  // Assert: the request alone.
  if (input.userId === deps.principal.userId) throw selfAssignment();
  const scope = scopeOf(input.scope);
  const period = periodOf(input, now);
  const reason = optionalText('reason', input.reason);

  // Load: the role, the scope's place and the assignee, as events told this service.
  const capabilities = capabilitiesOf(input.role, await deps.adminRoles.customRole(input.role));
  if (!capabilities) throw unknownRole(input.role);
  const path = await placeOf(scope, deps);
  const assignee = await deps.directory.findById(input.userId);
  if (!assignee?.status || assignee.status === 'TERMINATED') throw badAssignee(input.userId);
  const assigneePath = assignee.organizationId ? await deps.organizations.path(assignee.organizationId) : [];

  // Decide: nothing the assigner does not hold, nobody the assigner does not reach.
  const missing = missingAuthority(deps.principal, scope, path, capabilities);
  if (missing.length > 0) throw escalation(missing);
  if (!reachesAssignee(deps.principal, assigneePath)) throw badAssignee(input.userId);

  const assignment: Omit<RoleAssignment, 'version'> = {
    _id: randomUUID(),
    userId: input.userId,
    role: input.role,
    capabilities,
    scope,
    validFrom: period.from,
    validTo: period.to,
    reason,
    assignedBy: deps.actor,
    assignedAt: now,
    revokedBy: null,
    revokedAt: null,
    revokeReason: null,
  };
  const created = await deps.adminRoles.createAssignment(assignment, [roleAssigned(deps, assignment)]);
  if (!created) throw new Error(`assignment id ${assignment._id} was taken`);
  return created;
}

/** The path of the scope's organisation; checks that what the scope names exists here. */
async function placeOf(scope: Scope, deps: AdminRolesDeps): Promise<string[]> {
  switch (scope.kind) {
    case 'GLOBAL':
      return [];
    case 'APPLICATION':
      if (!(await deps.applications.exists(scope.id))) throw badScope(`No application ${scope.id} is known`);
      return [];
    case 'ORGANIZATION':
    case 'PARTNER': {
      const org = await deps.organizations.findById(scope.id);
      if (!org) throw badScope(`No organisation ${scope.id} is known`);
      if (scope.kind === 'PARTNER' && org.kind !== 'PARTNER') throw notAPartner(scope.id);
      return deps.organizations.path(scope.id);
    }
  }
}
