import { OrgTree, type TreeNode } from './org-tree';

const node = (
  id: string,
  parentId: string | null,
  defs: TreeNode['attributeDefinitions'] = [],
): TreeNode => ({
  _id: id,
  parentId,
  attributeDefinitions: defs,
});

//   hq ─ fin ─ payroll
//      └ it
//   acme (partner, a root of its own)
const tree = new OrgTree([
  node('hq', null, [{ name: 'costCenter', type: 'STRING', required: true }]),
  node('fin', 'hq', [{ name: 'costCenter', type: 'NUMBER', required: false }]),
  node('payroll', 'fin'),
  node('it', 'hq'),
  node('acme', null),
]);

describe('organisation tree', () => {
  it('lists a subtree with the node itself and every descendant', () => {
    expect(tree.subtreeIds('hq').sort()).toEqual(['fin', 'hq', 'it', 'payroll']);
    expect(tree.subtreeIds('fin').sort()).toEqual(['fin', 'payroll']);
    expect(tree.subtreeIds('unknown')).toEqual([]);
  });

  it('lists ancestors nearest first', () => {
    expect(tree.ancestorsOf('payroll').map((n) => n._id)).toEqual(['fin', 'hq']);
    expect(tree.ancestorsOf('hq')).toEqual([]);
  });

  it('refuses a move under the node itself or one of its descendants', () => {
    expect(tree.wouldCycle('fin', 'fin')).toBe(true);
    expect(tree.wouldCycle('fin', 'payroll')).toBe(true);
    expect(tree.wouldCycle('hq', 'payroll')).toBe(true);
    expect(tree.wouldCycle('payroll', 'it')).toBe(false);
    expect(tree.wouldCycle('acme', 'hq')).toBe(false);
  });

  it('inherits attribute definitions down the tree, the nearest definition winning', () => {
    expect(tree.effectiveDefinitions('payroll').get('costCenter')?.type).toBe('NUMBER');
    expect(tree.effectiveDefinitions('it').get('costCenter')?.type).toBe('STRING');
    expect(tree.effectiveDefinitions('acme').size).toBe(0);
  });

  it('does not loop on a cycle already present in stored data', () => {
    const broken = new OrgTree([node('a', 'b'), node('b', 'a')]);
    expect(broken.ancestorsOf('a').map((n) => n._id)).toEqual(['b']);
    expect(broken.subtreeIds('a').sort()).toEqual(['a', 'b']);
  });
});
