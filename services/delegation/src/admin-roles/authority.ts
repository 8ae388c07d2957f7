import {
  grantCovers,
  grantReaches,
  policy,
  scopeOrganization,
  type Capability,
  type Principal,
  type Scope,
} from '@concierge/kit';
import type { OrganizationsRepository } from '../directory/organizations.repository';
import { escalation } from './admin-roles.errors';

/**
 * The capabilities among `capabilities` (and the right to assign) that the principal does not hold
 * in a scope covering `scope`. Empty for a global administrator. `scopePath` is the path of the
 * scope's organisation, nearest first.
 */
export function missingAuthority(
  principal: Principal,
  scope: Scope,
  scopePath: readonly string[],
  capabilities: readonly Capability[],
): Capability[] {
  if (policy.isAdmin(principal)) return [];
  const grants = principal.grants ?? [];
  const needed: Capability[] = [
    'admin-role:assign',
    ...capabilities.filter((c) => c !== 'admin-role:assign'),
  ];
  return needed.filter(
    (c) => !grants.some((g) => g.capabilities.includes(c) && grantCovers(g, scope, scopePath)),
  );
}

/**
 * Whether a scoped assigner reaches the person: an assigner whose right to assign is organisational
 * (an organisation or a partner) appoints people of that part of the business only; one whose right
 * is over an application appoints anyone to it.
 */
export function reachesAssignee(principal: Principal, assigneePath: readonly string[]): boolean {
  if (policy.isAdmin(principal)) return true;
  return (principal.grants ?? []).some(
    (g) =>
      g.capabilities.includes('admin-role:assign') &&
      (g.scope.kind === 'APPLICATION' || grantReaches(g, { organizationPath: assigneePath })),
  );
}

/** The path of the organisation a scope names (empty for global and application scopes). */
export async function scopePath(scope: Scope, organizations: OrganizationsRepository): Promise<string[]> {
  const id = scopeOrganization(scope);
  return id ? organizations.path(id) : [];
}

/** Throws FORBIDDEN (ADMIN_ROLE.ESCALATION) unless the principal may give `capabilities` in `scope`. */
export async function requireAuthority(
  principal: Principal,
  scope: Scope,
  capabilities: readonly Capability[],
  organizations: OrganizationsRepository,
): Promise<void> {
  const missing = missingAuthority(principal, scope, await scopePath(scope, organizations), capabilities);
  if (missing.length > 0) throw escalation(missing);
}
