import type { Principal } from '@concierge/kit';
import { ADMIN, createOrg, graphql } from '../../../../test/testkit';
import { usersService } from '../../../../test/testkit/users-service';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const NODE = `id code name kind attributeDefinitions { name } effectiveAttributeDefinitions { name }`;
const TREE = `organization {
  ${NODE}
  parent { id name code kind }
  children { id }
  ancestors { ${NODE} children { id children { id } } }
}`;
const ME = `{ me { ${TREE} } }`;
const USER = `query($id: ID!) { user(id: $id) { ${TREE} } }`;
const ORG = `query($id: ID!) { organization(id: $id) { id name code children { id } } }`;
const ORGS = `query($kind: OrganizationKind) { organizations(kind: $kind) { id } }`;
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Organization { id name } }
}`;

type Node = {
  id: string;
  code: string | null;
  name: string;
  kind: string | null;
  attributeDefinitions: { name: string }[];
  effectiveAttributeDefinitions: { name: string }[];
};
type Me = {
  me: {
    organization: Node & {
      parent: Pick<Node, 'id' | 'name' | 'code' | 'kind'> | null;
      children: { id: string }[];
      ancestors: (Node & { children: { id: string; children: { id: string }[] }[] })[];
    };
  };
};
type OrgRead = {
  organization: { id: string; name: string; code: string | null; children: { id: string }[] } | null;
};

describe('what a caller may read of the organisation tree (real database)', () => {
  const svc = usersService();
  //   root ─ a ─ a1 ─ a1x
  //        │   └ a2
  //        └ b
  //   other (a root of its own)
  const org = { root: '', a: '', a1: '', a1x: '', a2: '', b: '', other: '' };
  let member: Principal;

  beforeAll(async () => {
    const defs = (name: string) => [{ name, type: 'STRING' }];
    org.root = await createOrg(svc.url(), {
      code: 'ROOT',
      name: 'Root',
      attributeDefinitions: defs('rootAttr'),
    });
    org.a = await createOrg(svc.url(), { code: 'A', name: 'Unit A', parentId: org.root });
    org.a1 = await createOrg(svc.url(), {
      code: 'A1',
      name: 'Unit A1',
      parentId: org.a,
      attributeDefinitions: defs('a1Attr'),
    });
    org.a1x = await createOrg(svc.url(), { code: 'A1X', name: 'Below A1', parentId: org.a1 });
    org.a2 = await createOrg(svc.url(), { code: 'A2', name: 'Unit A2', parentId: org.a });
    org.b = await createOrg(svc.url(), { code: 'B', name: 'Unit B', parentId: org.root });
    org.other = await createOrg(svc.url(), { code: 'OTHER', name: 'Other Ltd', kind: 'PARTNER' });
    const created = await graphql<{ createUser: { id: string } }>(
      svc.url(),
      CREATE_USER,
      { input: { organizationId: org.a1, email: 'member@example.org', displayName: 'Member' } },
      ADMIN,
    );
    if (!created.data) throw new Error(JSON.stringify(created.errors));
    member = { kind: 'user', userId: created.data.createUser.id, roles: [] };
  });

  it('when a plain user reads their organisation, then they see it and only the names of its ancestors, no subtree and no attribute definitions', async () => {
    const res = await graphql<Me>(svc.url(), ME, {}, member);
    expect(res.errors).toBeUndefined();
    const none = { attributeDefinitions: [], effectiveAttributeDefinitions: [] };
    expect(res.data!.me.organization).toEqual({
      id: org.a1,
      code: 'A1',
      name: 'Unit A1',
      kind: 'BUSINESS_UNIT',
      ...none,
      parent: { id: org.a, name: 'Unit A', code: null, kind: null },
      // a1x is below the user's organisation: not shown.
      children: [],
      ancestors: [
        // a2 is beside the user's chain: not shown.
        {
          id: org.a,
          name: 'Unit A',
          code: null,
          kind: null,
          ...none,
          children: [{ id: org.a1, children: [] }],
        },
        // b is beside the chain: not shown.
        {
          id: org.root,
          name: 'Root',
          code: null,
          kind: null,
          ...none,
          children: [{ id: org.a, children: [{ id: org.a1 }] }],
        },
      ],
    });
  });

  it('when a plain user asks for an organisation by id, then those outside their chain read as absent', async () => {
    for (const id of [org.b, org.a2, org.a1x, org.other, 'no-such-org']) {
      const res = await graphql<OrgRead>(svc.url(), ORG, { id }, member);
      expect({ id, errors: res.errors, organization: res.data?.organization }).toEqual({
        id,
        errors: undefined,
        organization: null,
      });
    }
    const own = await graphql<OrgRead>(svc.url(), ORG, { id: org.a1 }, member);
    expect(own.data!.organization).toEqual({ id: org.a1, name: 'Unit A1', code: 'A1', children: [] });
    const parent = await graphql<OrgRead>(svc.url(), ORG, { id: org.a }, member);
    expect(parent.errors).toBeUndefined();
    expect(parent.data!.organization).toEqual({
      id: org.a,
      name: 'Unit A',
      code: null,
      children: [{ id: org.a1 }],
    });
    const entities = await graphql<{ _entities: unknown[] }>(
      svc.url(),
      ENTITIES,
      { representations: [org.b, org.root].map((id) => ({ __typename: 'Organization', id })) },
      member,
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities).toEqual([null, { id: org.root, name: 'Root' }]);
  });

  it('when a plain user lists organisations, then they get their chain from the top down, and a kind filter matches their own only', async () => {
    const all = await graphql<{ organizations: { id: string }[] }>(svc.url(), ORGS, {}, member);
    expect(all.errors).toBeUndefined();
    expect(all.data!.organizations.map((o) => o.id)).toEqual([org.root, org.a, org.a1]);
    const units = await graphql<{ organizations: { id: string }[] }>(
      svc.url(),
      ORGS,
      { kind: 'BUSINESS_UNIT' },
      member,
    );
    expect(units.data!.organizations.map((o) => o.id)).toEqual([org.a1]);
  });

  it('when an administrator reads the tree, then they see every organisation with all its details', async () => {
    const read = await graphql<{ user: Me['me'] }>(svc.url(), USER, { id: member.userId }, ADMIN);
    expect(read.errors).toBeUndefined();
    const a1 = read.data!.user.organization;
    expect(a1).toMatchObject({
      code: 'A1',
      attributeDefinitions: [{ name: 'a1Attr' }],
      effectiveAttributeDefinitions: [{ name: 'a1Attr' }, { name: 'rootAttr' }],
      parent: { id: org.a, code: 'A', kind: 'BUSINESS_UNIT' },
      children: [{ id: org.a1x }],
    });
    expect(a1.ancestors.map((o) => [o.code, o.children.map((c) => c.id).sort()])).toEqual([
      ['A', [org.a1, org.a2].sort()],
      ['ROOT', [org.a, org.b].sort()],
    ]);
    const b = await graphql<OrgRead>(svc.url(), ORG, { id: org.b }, ADMIN);
    expect(b.data!.organization).toEqual({ id: org.b, name: 'Unit B', code: 'B', children: [] });
    const all = await graphql<{ organizations: { id: string }[] }>(svc.url(), ORGS, {}, ADMIN);
    // Ordered by code.
    expect(all.data!.organizations.map((o) => o.id)).toEqual([
      org.a,
      org.a1,
      org.a1x,
      org.a2,
      org.b,
      org.other,
      org.root,
    ]);
  });

  it('when an administrator creates two organisations in one operation, then both read back in full', async () => {
    const res = await graphql<Record<'first' | 'second', { code: string | null; kind: string | null }>>(
      svc.url(),
      `
        mutation {
          first: createOrganization(input: { code: "TWIN-1", name: "Twin 1", kind: PARTNER }) {
            code
            kind
          }
          second: createOrganization(input: { code: "TWIN-2", name: "Twin 2", kind: PARTNER }) {
            code
            kind
          }
        }
      `,
      {},
      ADMIN,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      first: { code: 'TWIN-1', kind: 'PARTNER' },
      second: { code: 'TWIN-2', kind: 'PARTNER' },
    });
  });

  it('when an anonymous caller asks, then nothing of the tree is read', async () => {
    const anonymous: Principal = { kind: 'anonymous', roles: [] };
    const one = await graphql<OrgRead>(svc.url(), ORG, { id: org.root }, anonymous);
    expect(one.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(one.data?.organization ?? null).toBeNull();
    const list = await graphql(svc.url(), ORGS, {}, anonymous);
    expect(list.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(list.data ?? null).toBeNull();
  });
});
