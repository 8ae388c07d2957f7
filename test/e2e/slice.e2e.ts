import { SignJWT } from 'jose';
import { MAX_ACCESS_TOKEN_TTL_S } from '@concierge/kit';
import { createOrg, eventually, graphql } from '../testkit';
import { ISSUER, startStack } from '../testkit/stack';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email status } }`;
const READ = `query($id: ID!) { user(id: $id) { id email notifications { kind title } } }`;

type Read = { user: { id: string; email: string; notifications: { kind: string; title: string }[] } | null };

describe('through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let org: string;
  beforeAll(async () => {
    stack = await startStack();
    org = await createOrg(stack.users.url);
  });
  afterAll(() => stack.stop());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('when an administrator creates a user, then one query returns the user with the welcome and set-password notifications from another subgraph', async () => {
    const admin = bearer(await stack.token('admin-1', ['admin']));
    const created = await graphql<{ createUser: { id: string } }>(
      stack.gateway.url,
      CREATE,
      { input: { organizationId: org, email: 'ada@example.org', displayName: 'Ada Lovelace' } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createUser.id;

    const read = await eventually(async () => {
      const res = await graphql<Read>(stack.gateway.url, READ, { id }, admin);
      return (res.data?.user?.notifications.length ?? 0) >= 2 ? res : undefined;
    });
    expect(read.errors).toBeUndefined();
    expect(read.data?.user).toEqual({
      id,
      email: 'ada@example.org',
      notifications: expect.arrayContaining([
        { kind: 'WELCOME', title: 'Welcome to Concierge' },
        { kind: 'SET_PASSWORD', title: 'Set your password' },
      ]),
    });
    expect(read.data?.user?.notifications).toHaveLength(2);

    // The user themselves sees the same; another ordinary user sees nothing of them.
    const own = await graphql<Read>(stack.gateway.url, READ, { id }, bearer(await stack.token(id)));
    expect(own.data?.user?.notifications).toHaveLength(2);
    const other = await graphql<Read>(
      stack.gateway.url,
      READ,
      { id },
      bearer(await stack.token('someone-else')),
    );
    expect(other.data?.user).toBeNull();
  });

  it('refuses anonymous callers with UNAUTHENTICATED and ordinary users with FORBIDDEN', async () => {
    const input = { input: { organizationId: org, email: 'eve@example.org', displayName: 'Eve' } };
    const anonymous = await graphql(stack.gateway.url, CREATE, input);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ordinary = await graphql(stack.gateway.url, CREATE, input, bearer(await stack.token('u-2')));
    expect(ordinary.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers 401 to a token it cannot verify', async () => {
    const forged = await graphql(stack.gateway.url, '{ me { id } }', {}, bearer('eyJhbGciOiJub25lIn0.e30.'));
    expect(forged.status).toBe(401);
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers 401 to a token without an expiry or issue time, or issued longer ago than the longest lifetime', async () => {
    const { kid, privateKey } = await stack.keys.current();
    const base = () =>
      new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('admin-1')
        .setIssuer(ISSUER)
        .setAudience('concierge');
    const now = Math.floor(Date.now() / 1000);
    const status = async (token: string) =>
      (await graphql(stack.gateway.url, '{ me { id } }', {}, bearer(token))).status;
    expect(await status(await base().setIssuedAt().setExpirationTime('5m').sign(privateKey))).toBe(200);
    expect(await status(await base().setIssuedAt().sign(privateKey))).toBe(401);
    expect(await status(await base().setExpirationTime('5m').sign(privateKey))).toBe(401);
    const old = base()
      .setIssuedAt(now - MAX_ACCESS_TOKEN_TTL_S - 60)
      .setExpirationTime(now + 3600);
    expect(await status(await old.sign(privateKey))).toBe(401);
  });

  it('refuses introspection outside development, and names no field the caller did not write', async () => {
    const auth = bearer(await stack.token('u-4'));
    const schema = await graphql(stack.gateway.url, '{ __schema { queryType { name } } }', {}, auth);
    expect(schema.data).toBeUndefined();
    expect(schema.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typed = await graphql(stack.gateway.url, '{ me { emial } }', {}, auth);
    expect(typed.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typed.errors?.[0]?.message).toContain('emial');
    expect(JSON.stringify(typed)).not.toMatch(/Did you mean|"email"/);
  });

  it('masks internal errors and never returns a stack trace', async () => {
    const res = await graphql(stack.gateway.url, '{ nope }', {}, bearer(await stack.token('u-3')));
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|at .*\.ts:/);
  });
});
