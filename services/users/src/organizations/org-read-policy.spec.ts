import type { Principal } from '@concierge/kit';
import { mayReadDetail, orgAccess, readsWholeTree, type OrgReadFacts } from './org-read-policy';
import { OrgTree, type TreeNode } from './org-tree';

const node = (id: string, parentId: string | null): TreeNode => ({
  _id: id,
  parentId,
  attributeDefinitions: [],
});

//   root ─ a ─ a1 ─ a1x
//        │   └ a2
//        └ b
//   other (a root of its own)
const tree = new OrgTree([
  node('root', null),
  node('a', 'root'),
  node('a1', 'a'),
  node('a1x', 'a1'),
  node('a2', 'a'),
  node('b', 'root'),
  node('other', null),
]);
const ADMIN: Principal = { kind: 'user', userId: 'admin', roles: ['admin'] };
const MEMBER: Principal = { kind: 'user', userId: 'u1', roles: [] };
const ANONYMOUS: Principal = { kind: 'anonymous', roles: [] };
const inA1: OrgReadFacts = { tree, ownOrganizationId: 'a1' };
const ids = ['root', 'a', 'a1', 'a1x', 'a2', 'b', 'other'];

describe('organisation read policy', () => {
  it('gives an administrator everything of every organisation, without knowing their own', () => {
    const facts = { tree, ownOrganizationId: null };
    expect(ids.map((id) => orgAccess(ADMIN, id, facts))).toEqual(ids.map(() => 'all'));
    for (const detail of ['code', 'kind', 'attributeDefinitions', 'effectiveAttributeDefinitions'] as const) {
      expect(mayReadDetail('all', detail)).toBe(true);
    }
    expect(readsWholeTree(ADMIN)).toBe(true);
    expect(readsWholeTree(MEMBER)).toBe(false);
  });

  it('lets a member read their own organisation and the names of its ancestors, and nothing beside or below', () => {
    expect(Object.fromEntries(ids.map((id) => [id, orgAccess(MEMBER, id, inA1)]))).toEqual({
      root: 'name',
      a: 'name',
      a1: 'member',
      a1x: null,
      a2: null,
      b: null,
      other: null,
    });
  });

  it('shows a member the code and kind of their own organisation only, and attribute definitions of none', () => {
    expect(mayReadDetail('member', 'code')).toBe(true);
    expect(mayReadDetail('member', 'kind')).toBe(true);
    for (const access of ['member', 'name', null] as const) {
      expect(mayReadDetail(access, 'attributeDefinitions')).toBe(false);
      expect(mayReadDetail(access, 'effectiveAttributeDefinitions')).toBe(false);
    }
    expect(mayReadDetail('name', 'code')).toBe(false);
    expect(mayReadDetail('name', 'kind')).toBe(false);
    expect(mayReadDetail(null, 'code')).toBe(false);
  });

  it('lets anonymous callers and users without an organisation read nothing, and a member nothing of an unknown id', () => {
    expect(ids.map((id) => orgAccess(ANONYMOUS, id, inA1))).toEqual(ids.map(() => null));
    expect(ids.map((id) => orgAccess(MEMBER, id, { tree, ownOrganizationId: null }))).toEqual(
      ids.map(() => null),
    );
    expect(ids.map((id) => orgAccess(MEMBER, id, { tree, ownOrganizationId: 'gone' }))).toEqual(
      ids.map(() => null),
    );
    expect(orgAccess(MEMBER, 'gone', { tree, ownOrganizationId: 'gone' })).toBeNull();
    expect(orgAccess(MEMBER, 'gone', inA1)).toBeNull();
    const forged: Principal = { kind: 'anonymous', roles: ['admin'] };
    expect(orgAccess(forged, 'root', inA1)).toBeNull();
  });
});
