import { bearerCaller, codeOf, createOrg, eventually, okData as ok, readTopic, reasonOf } from '../testkit';
import { startStack } from '../testkit/stack';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const UPDATE_USER = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`;
const USER = `query($id: ID!) { user(id: $id) { id } }`;
const USERS = `{ users(first: 50) { totalCount edges { node { id } } } }`;
const ASSIGN = `mutation($input: AssignAdminRoleInput!) { assignAdminRole(input: $input) { id } }`;
const REVOKE_ROLE = `mutation($id: ID!) { revokeAdminRole(id: $id) { id } }`;
const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { id name status capabilities organization { id } expiresAt } }
}`;
const REVOKE_TOKEN = `mutation($id: ID!) { revokeApiToken(id: $id, reason: "Leaked") { id status revokedBy } }`;
const MY_TOKENS = `{ myApiTokens(includeEnded: true) { id name status lastUsedAt revokedAt } }`;
const ORG_TOKENS = `query($org: ID!) { apiTokens(organizationId: $org) { id } }`;
const INBOX = `{ myNotifications(first: 20) { edges { node { kind title link { kind id } } } } }`;

type Created = {
  createApiToken: { secret: string; token: { id: string; status: string; capabilities: string[] } };
};
type Listed = { users: { totalCount: number; edges: { node: { id: string } }[] } };

const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

/**
 * Scoped API tokens through the gateway: a USER_ADMIN of EMEA makes a token for EMEA Sales that
 * may read and list users. The token sees that organisation only, never more than its creator,
 * shows its last use but never its secret again, stops at once when revoked, when it expires, or
 * when its creator loses the role; its creator hears of its expiry a week ahead.
 */
describe('scoped API tokens, end to end through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const org: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let admin = '';
  let umaRole = '';

  const call = <T>(query: string, variables: Record<string, unknown>, bearer: string) =>
    bearerCaller(stack.gateway.url)<T>(query, variables, bearer);
  const visible = async (bearer: string, userId: string) =>
    (await call<{ user: { id: string } | null }>(USER, { id: userId }, bearer)).data?.user?.id ?? null;
  const createToken = (bearer: string, input: Record<string, unknown>) =>
    call<Created>(
      CREATE_TOKEN,
      {
        input: {
          name: 'Partner portal',
          capabilities: ['user:read', 'user:list'],
          expiresAt: days(30),
          ...input,
        },
      },
      bearer,
    );

  async function person(key: string, orgKey: string) {
    const input = {
      organizationId: org[orgKey],
      email: `${key}.${Date.now()}@example.org`,
      displayName: key,
    };
    ids[key] = ok(await call<{ createUser: { id: string } }>(CREATE_USER, { input }, admin)).createUser.id;
    tokens[key] = await stack.token(ids[key] as string);
  }

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.token(`admin-${Date.now()}`, ['admin']);
    const auth = { authorization: `Bearer ${admin}` };
    org.emea = await createOrg(stack.gateway.url, { name: 'EMEA' }, auth);
    org.sales = await createOrg(stack.gateway.url, { name: 'EMEA Sales', parentId: org.emea }, auth);
    org.apac = await createOrg(stack.gateway.url, { name: 'APAC' }, auth);
    await person('uma', 'emea');
    await person('sam', 'sales');
    await person('sue', 'sales');
    await person('pat', 'apac');
    // Uma administers EMEA (the delegation service learns of her and the tree by events).
    umaRole = (
      await eventually(async () => {
        const res = await call<{ assignAdminRole: { id: string } }>(
          ASSIGN,
          {
            input: {
              userId: ids.uma,
              role: 'USER_ADMIN',
              scope: { kind: 'ORGANIZATION', id: org.emea, subtree: true },
            },
          },
          admin,
        );
        return res.data?.assignAdminRole;
      })
    ).id;
  });
  afterAll(() => stack.stop());

  it('asks for nothing its creator does not hold, and the secret is shown once', async () => {
    const uma = tokens.uma as string;
    // Beyond the creator: a capability USER_ADMIN lacks, an organisation outside EMEA.
    expect(
      reasonOf(
        await createToken(uma, { capabilities: ['user:read', 'audit:read'], organizationId: org.sales }),
      ),
    ).toBe('API_TOKEN.ESCALATION');
    expect(reasonOf(await createToken(uma, { organizationId: org.apac }))).toBe('API_TOKEN.ESCALATION');
    // Never the power to hand power on; never longer than 90 days; never for oneself by a plain user.
    expect(
      reasonOf(await createToken(uma, { organizationId: org.sales, capabilities: ['admin-role:assign'] })),
    ).toBe('API_TOKEN.NOT_FOR_TOKENS');
    expect(reasonOf(await createToken(uma, { organizationId: org.sales, expiresAt: days(91) }))).toBe(
      'API_TOKEN.EXPIRY',
    );
    expect(reasonOf(await createToken(tokens.sam as string, { organizationId: org.sales }))).toBe(
      'API_TOKEN.ESCALATION',
    );

    const created = ok(await createToken(uma, { organizationId: org.sales })).createApiToken;
    expect(created.secret).toMatch(/^cct_[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(created.token).toMatchObject({ status: 'ACTIVE', capabilities: ['user:list', 'user:read'] });
    tokens.portal = created.secret;
    // Listed without its secret; its organisation's token managers see it, others do not.
    const listed = JSON.stringify(ok(await call(MY_TOKENS, {}, uma)));
    expect(listed).toContain(created.token.id);
    expect(listed).not.toContain(created.secret.split('.')[1]);
    expect(
      ok(await call<{ apiTokens: { id: string }[] }>(ORG_TOKENS, { org: org.sales }, admin)).apiTokens,
    ).toEqual([{ id: created.token.id }]);
    expect(
      ok(await call<{ apiTokens: unknown[] }>(ORG_TOKENS, { org: org.sales }, tokens.pat as string))
        .apiTokens,
    ).toEqual([]);
  });

  it('acts within its organisation and capabilities only, and shows when it was last used', async () => {
    const portal = tokens.portal as string;
    expect(await visible(portal, ids.sam as string)).toBe(ids.sam);
    // Uma herself sits in EMEA, above the token's organisation: the token does not reach her.
    expect(await visible(portal, ids.uma as string)).toBeNull();
    expect(await visible(portal, ids.pat as string)).toBeNull();
    const page = ok(await call<Listed>(USERS, {}, portal)).users;
    expect({ total: page.totalCount, ids: page.edges.map((e) => e.node.id).sort() }).toEqual({
      total: 2,
      ids: [ids.sam, ids.sue].sort(),
    });
    // Its creator may update Sam; the token was not given user:update.
    const update = await call(UPDATE_USER, { id: ids.sam, input: { displayName: 'Sam' } }, portal);
    expect(codeOf(update)).toBe('FORBIDDEN');
    // A wrong secret for a real id, and garbage, are one and the same 401.
    const [prefix] = portal.split('.');
    const forged = await call(USER, { id: ids.sam }, `${prefix}.${'A'.repeat(43)}`);
    const garbage = await call(USER, { id: ids.sam }, 'cct_nonsense');
    expect([forged.status, garbage.status]).toEqual([401, 401]);
    expect(forged.errors).toEqual(garbage.errors);
    const mine = ok(
      await call<{ myApiTokens: { name: string; lastUsedAt: string | null }[] }>(
        MY_TOKENS,
        {},
        tokens.uma as string,
      ),
    );
    expect(mine.myApiTokens[0]?.lastUsedAt).toEqual(expect.any(String));
  });

  it('stops at once when revoked, and the revocation is on the broker without the secret', async () => {
    const reader = await readTopic('concierge.admin.v1');
    try {
      const made = ok(
        await createToken(tokens.uma as string, { organizationId: org.sales, name: 'Sync job' }),
      ).createApiToken;
      expect(await visible(made.secret, ids.sam as string)).toBe(ids.sam);
      ok(await call(REVOKE_TOKEN, { id: made.token.id }, tokens.uma as string));
      await eventually(async () => (await call(USER, { id: ids.sam }, made.secret)).status === 401, 10_000);
      const events = await eventually(async () => {
        const values = reader.values().filter((e) => e.subject === made.token.id);
        return values.length >= 2 ? values : undefined;
      });
      expect(events.map((e) => e.type).sort()).toEqual(['api-token.created', 'api-token.revoked']);
      expect(JSON.stringify(events)).not.toContain(made.secret.split('.')[1]);
    } finally {
      await reader.stop();
    }
  });

  it('stops when it expires, and its creator hears of the expiry a week ahead', async () => {
    const short = ok(
      await createToken(tokens.uma as string, {
        organizationId: org.sales,
        name: 'Short',
        expiresAt: new Date(Date.now() + 3_000).toISOString(),
      }),
    ).createApiToken;
    expect(await visible(short.secret, ids.sam as string)).toBe(ids.sam);
    await new Promise((r) => setTimeout(r, 3_100));
    expect((await call(USER, { id: ids.sam }, short.secret)).status).toBe(401);

    // Made to live a week and 2 seconds: its notice falls due 2 seconds from now.
    const weekly = ok(
      await createToken(tokens.uma as string, {
        organizationId: org.sales,
        name: 'Weekly export',
        expiresAt: new Date(Date.now() + 7 * 86_400_000 + 2_000).toISOString(),
      }),
    ).createApiToken;
    const notice = await eventually(async () => {
      const inbox = ok(
        await call<{
          myNotifications: { edges: { node: { kind: string; title: string; link: { id: string } } }[] };
        }>(INBOX, {}, tokens.uma as string),
      );
      return inbox.myNotifications.edges.map((e) => e.node).find((n) => n.kind === 'API_TOKEN_EXPIRING');
    }, 30_000);
    expect(notice).toEqual({
      kind: 'API_TOKEN_EXPIRING',
      title: 'API token expires soon: Weekly export',
      link: { kind: 'API_TOKEN', id: weekly.token.id },
    });
  });

  it('loses its power when its creator loses the role', async () => {
    const portal = tokens.portal as string;
    expect(await visible(portal, ids.sam as string)).toBe(ids.sam);
    ok(await call(REVOKE_ROLE, { id: umaRole }, admin));
    // The gateway drops Uma's cached grants on admin-role.revoked; the token is cut down with her.
    await eventually(async () => (await visible(portal, ids.sam as string)) === null, 10_000);
    expect(codeOf(await call(USERS, {}, portal))).toBe('FORBIDDEN');
  });
});
