import { policy, type Principal } from '@concierge/kit';
import { placeOf } from './org-scope';
import type { OrgTree, TreeNode } from './org-tree';

/**
 * How much of one organisation a caller may read:
 * - `all`: everything (administrators);
 * - `member`: the caller's own organisation: its id, code, name and kind, and its place in the tree;
 * - `name`: an ancestor of the caller's own organisation: its id and name only.
 * An organisation the caller may not read at all has no access (null) and reads as absent.
 */
export type OrgAccess = 'all' | 'member' | 'name';

/** The fields of an organisation beyond its id and name, which every readable organisation shows. */
export type OrgDetail = 'code' | 'kind' | 'attributeDefinitions' | 'effectiveAttributeDefinitions';

const DETAILS: Record<OrgAccess, ReadonlySet<OrgDetail>> = {
  all: new Set(['code', 'kind', 'attributeDefinitions', 'effectiveAttributeDefinitions']),
  member: new Set(['code', 'kind']),
  name: new Set(),
};

/** What the read policy needs to know of the caller beyond the principal. */
export interface OrgReadFacts<T extends TreeNode = TreeNode> {
  /** The organisation on the caller's own user document; null when there is none. */
  ownOrganizationId: string | null;
  tree: OrgTree<T>;
}

/**
 * What the caller may read of the organisation `id`; null when it must look absent. The tree
 * links (parent, children, ancestors) of a readable organisation show only readable ones, so a
 * member sees the chain from their organisation to the top and nothing beside or below it.
 */
export function orgAccess(principal: Principal, id: string, facts: OrgReadFacts): OrgAccess | null {
  if (principal.kind !== 'user' || !principal.userId) return null;
  // An organisation a mutation of this request wrote may be newer than the tree: then only its own
  // id is checked (placeOf finds no ancestors), as a scoped role's organisation.
  if (policy.can(principal, 'organization:read', placeOf(id, facts.tree))) return 'all';
  const own = facts.ownOrganizationId;
  if (own === null || !facts.tree.get(own) || !facts.tree.get(id)) return null;
  if (id === own) return 'member';
  return facts.tree.ancestorsOf(own).some((a) => a._id === id) ? 'name' : null;
}

/** Whether `access` includes the field `detail`; id, name and tree links come with any access. */
export function mayReadDetail(access: OrgAccess | null, detail: OrgDetail): boolean {
  return access !== null && DETAILS[access].has(detail);
}

/** Whether the caller's own organisation is irrelevant, because they may read every organisation. */
export function readsWholeTree(principal: Principal): boolean {
  return policy.isAdmin(principal);
}
