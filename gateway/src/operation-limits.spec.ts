import { buildSchema, GraphQLError, parse } from 'graphql';
import { checkOperationLimits, DEFAULT_LIMITS, type OperationLimits } from './operation-limits';

const schema = buildSchema(`
  type Query { me: User, user(id: ID!): User, users(first: Int): UserConnection!, organization(id: ID!): Org }
  type Mutation { login(login: String!, password: String!): String, changePassword(currentPassword: String!, newPassword: String!): Boolean, createUser(name: String!): User }
  type User { id: ID!, name: String, manager: User, organization: Org, groups: [Group!]! }
  type Group { id: ID!, members: [User!]! }
  type Org { id: ID!, name: String, children: [Org!]!, parent: Org }
  type UserConnection { edges: [UserEdge!]!, totalCount: Int }
  type UserEdge { node: User! }
`);

function refusal(
  query: string,
  variables?: Record<string, unknown>,
  limits: OperationLimits = DEFAULT_LIMITS,
) {
  try {
    checkOperationLimits(parse(query), undefined, variables, schema, limits);
    return null;
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    return { code: err.extensions.code, reason: err.extensions.reason, actual: err.extensions.actual };
  }
}

const nested = (levels: number) => `{ me { ${'manager { '.repeat(levels)}id${' }'.repeat(levels)} } }`;

describe('operation limits', () => {
  it('lets an ordinary query through', () => {
    expect(refusal('{ me { id name organization { name parent { name } } } }')).toBeNull();
    expect(
      refusal('query ($n: Int) { users(first: $n) { edges { node { id name } } totalCount } }', { n: 50 }),
    ).toBeNull();
  });

  it('refuses nesting deeper than the limit, counted through fragments', () => {
    expect(refusal(nested(8))).toBeNull(); // depth 10
    expect(refusal(nested(9))).toEqual({
      code: 'OPERATION_LIMIT_EXCEEDED',
      reason: 'LIMIT.DEPTH',
      actual: 11,
    });
    const viaFragments = `
      { me { ...A } }
      fragment A on User { manager { ...B } }
      fragment B on User { manager { manager { manager { manager { manager { manager { manager { manager { id } } } } } } } } }`;
    expect(refusal(viaFragments)?.reason).toBe('LIMIT.DEPTH');
  });

  it('refuses more aliases than the limit', () => {
    const aliases = (n: number) => `{ me { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } }`;
    expect(refusal(aliases(15))).toBeNull();
    expect(refusal(aliases(16))?.reason).toBe('LIMIT.ALIASES');
  });

  it('refuses more root fields than the limit, fragments and aliases included', () => {
    const roots = Array.from({ length: 11 }, (_, i) => `u${i}: user(id: "${i}") { id }`).join(' ');
    expect(
      refusal(`{ ...R } fragment R on Query { ${roots} }`, undefined, { ...DEFAULT_LIMITS, maxAliases: 100 })
        ?.reason,
    ).toBe('LIMIT.ROOT_FIELDS');
  });

  it('allows one credential mutation per operation, however it is spelt', () => {
    expect(refusal('mutation { login(login: "a", password: "b") }')).toBeNull();
    expect(
      refusal('mutation { a: login(login: "a", password: "b") b: login(login: "a", password: "c") }'),
    ).toEqual({
      code: 'OPERATION_LIMIT_EXCEEDED',
      reason: 'LIMIT.CREDENTIAL_OPERATIONS',
      actual: 2,
    });
    expect(
      refusal(
        'mutation { login(login: "a", password: "b") ...M } fragment M on Mutation { changePassword(currentPassword: "x", newPassword: "y") }',
      )?.reason,
    ).toBe('LIMIT.CREDENTIAL_OPERATIONS');
    // Other mutations beside one credential mutation are fine.
    expect(refusal('mutation { login(login: "a", password: "b") createUser(name: "x") { id } }')).toBeNull();
  });

  it('prices lists by first, from literals and variables, and other lists by the assumed size', () => {
    const page =
      'query ($n: Int) { users(first: $n) { edges { node { id groups { id members { id } } } } } }';
    expect(refusal(page, { n: 10 })).toBeNull();
    expect(refusal(page, { n: 100_000 })).toMatchObject({ reason: 'LIMIT.COST' });
    expect(refusal('{ users(first: 1000000) { totalCount } }')).toBeNull(); // a count costs no list
    expect(refusal('{ users(first: 1000000) { edges { node { id } } } }')).toMatchObject({
      reason: 'LIMIT.COST',
    });
    const tree = `{ organization(id: "r") { children { children { children { children { id } } } } } }`;
    // 1 + 10 + 100 + 1,000 + 10,000 fields under four unpaged lists of 10
    expect(refusal(tree)).toMatchObject({ reason: 'LIMIT.COST', actual: 11_112 });
  });

  it('checks only the operation that runs', () => {
    const doc = parse(`query Small { me { id } } query Big { ${nested(12).slice(1, -1)} }`);
    expect(() => checkOperationLimits(doc, 'Small', undefined, schema, DEFAULT_LIMITS)).not.toThrow();
    expect(() => checkOperationLimits(doc, 'Big', undefined, schema, DEFAULT_LIMITS)).toThrow(/deeper/);
  });
});
