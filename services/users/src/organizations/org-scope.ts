import { policy, type Capability, type Principal, type Resource, type Scope } from '@concierge/kit';
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
  let everywhere = false;
  for (const grant of principal.grants ?? []) {
    if (!grant.capabilities.includes(capability)) continue;
    const reached = organizationsOf(grant.scope, tree);
    // A confined grant (an API token's) reaches only what one of its confines reaches too.
    const confined = grant.within
      ? union(grant.within.map((w) => organizationsOf(w, tree)))
      : ('all' as const);
    const both = intersect(reached, confined);
    if (both === 'all') everywhere = true;
    else for (const id of both) out.add(id);
  }
  if (everywhere) return 'all';
  return [...out];
}

/** The organisations a scope reaches: all of them, or a list (none for an application). */
function organizationsOf(scope: Scope, tree: OrgTree<TreeNode>): 'all' | string[] {
  switch (scope.kind) {
    case 'GLOBAL':
      return 'all';
    case 'APPLICATION':
      return [];
    case 'ORGANIZATION':
      if (!scope.subtree) return tree.get(scope.id) ? [scope.id] : [];
      return tree.subtreeIds(scope.id);
    case 'PARTNER':
      return tree.subtreeIds(scope.id);
  }
}

function union(sets: ('all' | string[])[]): 'all' | string[] {
  if (sets.includes('all')) return 'all';
  return [...new Set((sets as string[][]).flat())];
}

function intersect(a: 'all' | string[], b: 'all' | string[]): 'all' | string[] {
  if (a === 'all') return b;
  if (b === 'all') return a;
  const keep = new Set(b);
  return a.filter((id) => keep.has(id));
}
