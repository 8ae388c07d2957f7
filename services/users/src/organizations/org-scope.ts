import { policy, type Capability, type Principal, type Resource } from '@concierge/kit';
import type { OrgTree, TreeNode } from './org-tree';

/** An organisation as the policy sees it: itself and the organisations above it, nearest first. */
export function placeOf(organizationId: string | null | undefined, tree: OrgTree<TreeNode>): Resource {
  if (!organizationId) return {};
  return {
    organizationId,
    organizationPath: [organizationId, ...tree.ancestorsOf(organizationId).map((o) => o._id)],
  };
}

/** A user as the policy sees them: who, and where in the tree. */
export function userPlace(user: { _id: string; organizationId: string }, tree: OrgTree<TreeNode>): Resource {
  return { userId: user._id, ...placeOf(user.organizationId, tree) };
}

/**
 * The organisations whose users the principal may list with `capability`: 'all' for a global
 * administrator or a global grant, otherwise the union of what their scoped grants reach (empty
 * when none does). The listing filters on these inside the database query, so pages and counts
 * only ever hold what the caller may see.
 */
export function reachableOrganizations(
  principal: Principal,
  capability: Capability,
  tree: OrgTree<TreeNode>,
): 'all' | string[] {
  if (policy.isAdmin(principal)) return 'all';
  const out = new Set<string>();
  for (const grant of principal.grants ?? []) {
    if (!grant.capabilities.includes(capability)) continue;
    const scope = grant.scope;
    if (scope.kind === 'GLOBAL') return 'all';
    if (scope.kind === 'ORGANIZATION' && !scope.subtree) {
      if (tree.get(scope.id)) out.add(scope.id);
    } else if (scope.kind === 'ORGANIZATION' || scope.kind === 'PARTNER') {
      for (const id of tree.subtreeIds(scope.id)) out.add(id);
    }
  }
  return [...out];
}
