import type { AttributeDefinition } from './organization.model';

/** The part of an organisation the tree logic needs. */
export interface TreeNode {
  _id: string;
  parentId: string | null;
  attributeDefinitions: AttributeDefinition[];
}

/** An in-memory view of the organisation tree, built from one read of all organisations. */
export class OrgTree<T extends TreeNode = TreeNode> {
  private readonly byId = new Map<string, T>();
  private readonly children = new Map<string, T[]>();

  constructor(nodes: readonly T[]) {
    for (const node of nodes) this.byId.set(node._id, node);
    for (const node of nodes) {
      if (node.parentId === null) continue;
      const siblings = this.children.get(node.parentId);
      if (siblings) siblings.push(node);
      else this.children.set(node.parentId, [node]);
    }
  }

  /** Every node, in the order given. */
  all(): T[] {
    return [...this.byId.values()];
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  childrenOf(id: string): T[] {
    return this.children.get(id) ?? [];
  }

  /** The node's ancestors, nearest first. Stops at a cycle rather than looping (data written by hand). */
  ancestorsOf(id: string): T[] {
    const out: T[] = [];
    const seen = new Set<string>([id]);
    let parentId = this.byId.get(id)?.parentId ?? null;
    while (parentId !== null && !seen.has(parentId)) {
      const parent = this.byId.get(parentId);
      if (!parent) break;
      out.push(parent);
      seen.add(parentId);
      parentId = parent.parentId;
    }
    return out;
  }

  /** Ids of the node and everything below it. */
  subtreeIds(id: string): string[] {
    const out: string[] = [];
    const stack = [id];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const current = stack.pop() as string;
      if (seen.has(current) || !this.byId.has(current)) continue;
      seen.add(current);
      out.push(current);
      for (const child of this.childrenOf(current)) stack.push(child._id);
    }
    return out;
  }

  /** Whether moving `id` under `newParentId` would make it its own ancestor. */
  wouldCycle(id: string, newParentId: string): boolean {
    return newParentId === id || this.ancestorsOf(newParentId).some((a) => a._id === id);
  }

  /**
   * The attribute definitions that apply to users of an organisation: its own and its ancestors'
   * (a definition on a business unit holds for every unit below it; the nearest one wins).
   */
  effectiveDefinitions(id: string): Map<string, AttributeDefinition> {
    const out = new Map<string, AttributeDefinition>();
    const node = this.byId.get(id);
    if (!node) return out;
    for (const level of [node, ...this.ancestorsOf(id)]) {
      for (const def of level.attributeDefinitions) if (!out.has(def.name)) out.set(def.name, def);
    }
    return out;
  }
}

/** Loads the organisation tree once (an import passes the one it keeps). */
export async function loadTree<T extends TreeNode>(deps: {
  orgs: { all(): Promise<T[]> };
}): Promise<OrgTree<T>> {
  return new OrgTree(await deps.orgs.all());
}
