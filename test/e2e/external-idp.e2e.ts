import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type ProviderClass from 'oidc-provider' with { 'resolution-mode': 'import' };
import type { Configuration, JWTStructured } from 'oidc-provider' with { 'resolution-mode': 'import' };
import { startGateway, type ExternalIdpConfig } from '@concierge/gateway';
import { createOrg, eventually, graphql, readTopic } from '../testkit';
import { startStack } from '../testkit/stack';

// oidc-provider ships ES modules only: Jest compiles it to CommonJS (jest.config.js); tsc reads its types.
const { default: Provider } = jest.requireActual<{ default: typeof ProviderClass }>('oidc-provider');

const AUDIENCE = 'https://concierge.example/graphql';
const CLIENT_SECRET = 'a-client-secret-of-the-test-provider';
const JIT_ORG = 'EXT';
const ME = '{ me { id email displayName status } }';

/**
 * The people of the external provider. Each signs in as a client of its own (client credentials),
 * so the client id is the token's subject; the customizer adds their profile claims.
 */
const PEOPLE: Record<string, Record<string, string>> = {
  'ada-subject': { email: 'Ada.External@Example.org', name: 'Ada External' },
  'bob-subject': { email: 'bob@example.org', name: 'Bob Local' },
  'nobody-subject': { email: 'nobody@example.org', name: 'Nobody' },
};

/** A change the next token gets before it is signed (an expiry in the past, another issuer). */
let tweak: ((payload: JWTStructured['payload']) => void) | null = null;

/** oidc-provider on a real port, issuing JWT access tokens for AUDIENCE (resource indicators). */
async function startProvider(): Promise<{
  issuer: string;
  jwksUrl: string;
  tokenUrl: string;
  close: () => Promise<void>;
}> {
  let handler: ReturnType<ProviderClass['callback']> | null = null;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    clients: Object.keys(PEOPLE).map((id) => ({
      client_id: id,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        // Any resource asked for is a JWT audience: a token for another API is one the gateway must refuse.
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'api',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    formats: {
      customizers: {
        jwt: (_ctx, token, jwt) => {
          Object.assign(jwt.payload, PEOPLE[token.clientId ?? ''] ?? {});
          tweak?.(jwt.payload);
          tweak = null;
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  handler = provider.callback();
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
    token_endpoint: string;
  };
  return {
    issuer,
    jwksUrl: discovery.jwks_uri,
    tokenUrl: discovery.token_endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('tokens of an external OpenID Connect provider at the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let idp: Awaited<ReturnType<typeof startProvider>>;
  let byEmail: Awaited<ReturnType<typeof startGateway>>;
  let strict: Awaited<ReturnType<typeof startGateway>>;
  let admin: Record<string, string>;
  let adaId: string;
  let bobId: string;

  /** An access token of the provider for `subject` (client credentials), for `resource` if given. */
  const idpToken = async (subject: string, resource?: string): Promise<string> => {
    const res = await fetch(idp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: subject,
        client_secret: CLIENT_SECRET,
        ...(resource ? { resource } : {}),
      }),
    });
    const body = (await res.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return body.access_token;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** The raw answer, to compare refusals byte for byte. */
  const raw = async (url: string, token: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ query: ME }),
    });
    return { status: res.status, body: await res.text() };
  };
  const usersWithEmail = (email: string) =>
    stack.users.runtime.db.collection('users').countDocuments({ email });
  const base = (): ExternalIdpConfig => ({
    issuer: idp.issuer,
    jwksUrl: idp.jwksUrl,
    audience: AUDIENCE,
    mapBy: 'subject',
    unknownUser: 'reject',
    jitOrganization: null,
    maxTokenAgeS: 3600,
  });

  beforeAll(async () => {
    idp = await startProvider();
    // The stack's own gateway maps by subject and creates unknown people PENDING in EXT.
    stack = await startStack({
      gateway: { externalIdp: { ...base(), unknownUser: 'create-pending', jitOrganization: JIT_ORG } },
    });
    [byEmail, strict] = await Promise.all([
      // A short cache: a role change written to the store without an event shows within a second.
      startGateway({
        ...stack.gatewayConfig,
        port: 0,
        sessionCacheMs: 1_000,
        externalIdp: { ...base(), mapBy: 'email' },
      }),
      startGateway({ ...stack.gatewayConfig, port: 0, externalIdp: base() }),
    ]);
    await Promise.all([byEmail.feedStarted, strict.feedStarted]);
    admin = bearer(await stack.token('admin-1', ['admin']));
    const org = await createOrg(stack.users.url, { code: JIT_ORG, name: 'External people' });
    const bob = await graphql<{ createUser: { id: string } }>(
      stack.gateway.url,
      `
        mutation ($input: CreateUserInput!) {
          createUser(input: $input) {
            id
          }
        }
      `,
      { input: { organizationId: org, email: 'bob@example.org', displayName: 'Bob Local' } },
      admin,
    );
    bobId = bob.data!.createUser.id;
  });
  afterAll(async () => {
    await byEmail?.stop();
    await strict?.stop();
    await stack?.stop();
    await idp?.close();
  });

  it('when an unknown person signs in and users are created just in time, then one PENDING user is created with their e-mail and name, once, and the token is refused until an administrator activates them', async () => {
    const events = await readTopic('concierge.user.v1');
    try {
      const token = await idpToken('ada-subject');
      const first = await graphql(stack.gateway.url, ME, {}, bearer(token));
      expect(first.status).toBe(401);
      const second = await graphql(stack.gateway.url, ME, {}, bearer(await idpToken('ada-subject')));
      expect(second.status).toBe(401);
      expect(await usersWithEmail('ada.external@example.org')).toBe(1);
      const ada = await stack.users.runtime.db
        .collection<{ _id: string; status: string; displayName: string; externalSubject: string }>('users')
        .findOne({ email: 'ada.external@example.org' });
      expect(ada).toMatchObject({
        status: 'PENDING',
        displayName: 'Ada External',
        externalSubject: `${idp.issuer}#ada-subject`,
      });
      adaId = ada!._id;

      const created = await eventually(async () => {
        const found = events.values().filter((e) => e.type === 'user.created' && e.subject === adaId);
        return found.length > 0 ? found : undefined;
      });
      expect(created[0]).toMatchObject({
        actor: 'system:external-idp',
        data: { userId: adaId, email: 'ada.external@example.org', status: 'PENDING' },
      });
      // Give a duplicate time to show up: there is none.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(events.values().filter((e) => e.type === 'user.created' && e.subject === adaId)).toHaveLength(1);
    } finally {
      await events.stop();
    }
  });

  it('when the user created for a subject is activated, then their token reaches `me` as that local user (mapping by subject)', async () => {
    const activated = await graphql(
      stack.gateway.url,
      'mutation($id: ID!) { activateUser(id: $id) { id status } }',
      { id: adaId },
      admin,
    );
    expect(activated.errors).toBeUndefined();
    const token = await idpToken('ada-subject');
    // The gateway's cached answer (PENDING) is dropped when user.activated reaches it.
    const me = await eventually(async () => {
      const res = await graphql<{ me: { id: string } }>(stack.gateway.url, ME, {}, bearer(token));
      return res.status === 200 ? res : undefined;
    });
    expect(me.data?.me).toEqual({
      id: adaId,
      email: 'ada.external@example.org',
      displayName: 'Ada External',
      status: 'ACTIVE',
    });
    // The strict gateway maps the same subject to the same user.
    const strictMe = await graphql<{ me: { id: string } }>(strict.url, ME, {}, bearer(token));
    expect(strictMe.data?.me.id).toBe(adaId);
  });

  it('when the provider vouches for an e-mail address, then the token is the local user with that address, with the roles the users service holds now (mapping by e-mail)', async () => {
    const token = await idpToken('bob-subject');
    const me = await graphql<{ me: { id: string } }>(byEmail.url, ME, {}, bearer(token));
    expect(me.status).toBe(200);
    expect(me.data?.me).toMatchObject({ id: bobId, email: 'bob@example.org' });
    const READ = 'query($id: ID!) { user(id: $id) { id } }';
    // An ordinary user does not see Ada; once the store gives Bob the admin role, the same token does.
    expect(
      (await graphql<{ user: null }>(byEmail.url, READ, { id: adaId }, bearer(token))).data?.user,
    ).toBeNull();
    await stack.token(bobId, ['admin']);
    const read = await eventually(async () => {
      const res = await graphql<{ user: { id: string } | null }>(
        byEmail.url,
        READ,
        { id: adaId },
        bearer(token),
      );
      return res.data?.user ? res : undefined;
    });
    expect(read.data?.user?.id).toBe(adaId);
    await stack.token(bobId, []);
  });

  it('when a subject or e-mail maps to nobody and users are not created just in time, then 401 and no user is created', async () => {
    const token = await idpToken('nobody-subject');
    expect((await graphql(strict.url, ME, {}, bearer(token))).status).toBe(401);
    expect((await graphql(byEmail.url, ME, {}, bearer(token))).status).toBe(401);
    // Bob's e-mail under the strict gateway: no subject was ever recorded for him.
    expect((await graphql(strict.url, ME, {}, bearer(await idpToken('bob-subject')))).status).toBe(401);
    expect(await usersWithEmail('nobody@example.org')).toBe(0);
  });

  it('refuses expired, tampered, wrong-audience, wrong-issuer, alg-none and suspended-user tokens with one identical 401', async () => {
    const url = stack.gateway.url;
    const good = await idpToken('ada-subject');
    expect((await raw(url, good)).status).toBe(200);
    const [header, payload] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    tweak = (p) => {
      p.iat = Math.floor(Date.now() / 1000) - 600;
      p.exp = Math.floor(Date.now() / 1000) - 300;
    };
    const expired = await idpToken('ada-subject');
    // Bob's subject under Ada's valid signature.
    const tampered = `${header}.${encode({ ...claims, sub: 'bob-subject' })}.${good.split('.')[2]}`;
    const wrongAudience = await idpToken('ada-subject', 'https://another-api.example/');
    tweak = (p) => {
      p.iss = 'https://impostor.example';
    };
    const wrongIssuer = await idpToken('ada-subject');
    const algNone = `${encode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;

    const refusals: Record<string, { status: number; body: string }> = {
      expired: await raw(url, expired),
      tampered: await raw(url, tampered),
      wrongAudience: await raw(url, wrongAudience),
      wrongIssuer: await raw(url, wrongIssuer),
      algNone: await raw(url, algNone),
      unknownSubject: await raw(strict.url, await idpToken('nobody-subject')),
    };

    const suspended = await graphql(
      url,
      'mutation($id: ID!) { suspendUser(id: $id) { id } }',
      { id: adaId },
      admin,
    );
    expect(suspended.errors).toBeUndefined();
    // Revocation: the mapped user is no longer ACTIVE; refused once user.suspended reaches the gateway.
    refusals.suspended = await eventually(async () => {
      const res = await raw(url, good);
      return res.status === 401 ? res : undefined;
    });

    const expected = JSON.stringify({
      errors: [{ message: 'Invalid token', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    for (const [kind, refusal] of Object.entries(refusals)) {
      expect({ kind, ...refusal }).toEqual({ kind, status: 401, body: expected });
    }
  });
});
