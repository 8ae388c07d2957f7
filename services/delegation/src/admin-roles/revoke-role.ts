import { NotFoundError, policy } from '@concierge/kit';
import { alreadyRevoked } from './admin-roles.errors';
import { roleRevoked } from './admin-roles.events';
import { requireAuthority } from './authority';
import type { AdminRolesDeps } from './deps';
import { optionalText, type RoleAssignment } from './role-assignment';

/**
 * Revokes an assignment at once and publishes admin-role.revoked. The holder may give up their own;
 * anyone else needs the authority to have assigned it (no revoking a wider administrator's role).
 * An assignment the caller may not see answers NOT_FOUND, as if absent.
 */
export async function revokeRole(
  id: string,
  input: { reason?: string | null },
  deps: AdminRolesDeps,
): Promise<RoleAssignment> {
  const now = deps.now ?? new Date();
  policy.requireUser(deps.principal);
  const reason = optionalText('reason', input.reason);
  const current = await deps.adminRoles.assignment(id);
  if (!current) throw new NotFoundError('AdminRoleAssignment', id);
  if (current.userId !== deps.principal.userId) {
    try {
      await requireAuthority(deps.principal, current.scope, current.capabilities, deps.organizations);
    } catch {
      throw new NotFoundError('AdminRoleAssignment', id);
    }
  }
  if (current.revokedAt) throw alreadyRevoked(id);
  const result = await deps.adminRoles.updateAssignment(id, (latest) => {
    if (latest.revokedAt) throw alreadyRevoked(id);
    const next = { ...latest, revokedAt: now, revokedBy: deps.actor, revokeReason: reason };
    return { next, events: [roleRevoked(deps, next)] };
  });
  if (!result) throw new NotFoundError('AdminRoleAssignment', id);
  return result.state;
}
