import { request } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import { ANONYMOUS, signPrincipal, subgraphKey, type Principal } from '@concierge/kit';
import { hashPassword } from '../../services/users/src/credentials/password-hash';
import { eventually, graphql, SECRET, signedFor } from '../testkit';
import { ISSUER, startStack } from '../testkit/stack';

/**
 * Hostile operations through the gateway and straight at a subgraph's port. Each case names what
 * a user relies on: guessing is slow and cannot lock them out, one request cannot cost the graph
 * much, and a principal cannot be forged, replayed or outlive the user's access.
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs to the gateway from a chosen loopback address, as a distinct client would. */
function postFrom(
  url: string,
  from: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: from,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const LOGIN = `mutation ($login: String!, $password: String!) {
  login(login: $login, password: $password) { accessToken }
}`;
const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions?.code;
const reasonOf = (a: Answer) => a.body.errors?.[0]?.extensions?.reason;

describe('abuse through the gateway and at subgraph ports', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack();
    admin = { authorization: `Bearer ${await stack.token('abuse-admin', ['admin'])}` };
  });
  afterAll(() => stack.stop());

  /** A user who can sign in with a password (written as the set-password flow would). */
  async function userWithPassword(id: string, password: string): Promise<string> {
    await stack.token(id);
    await stack.users.runtime.db
      .collection<{ _id: string }>('credentials')
      .updateOne({ _id: id }, { $set: { passwordHash: await hashPassword(password) } });
    return `${id}@stack.test`;
  }

  describe('operation limits', () => {
    it('refuses an alias flood of login before any password is checked', async () => {
      const login = await userWithPassword('flood-victim', 'Correct horse battery 1');
      const guesses = (n: number) =>
        Array.from(
          { length: n },
          (_, i) => `a${i}: login(login: "${login}", password: "guess ${i}") { accessToken }`,
        ).join(' ');
      // Five guesses in one request would lock an account at once: one credential mutation each.
      const five = await postFrom(stack.gateway.url, '127.0.0.1', `mutation { ${guesses(5)} }`);
      expect(five.status).toBe(400);
      expect(codeOf(five)).toBe('OPERATION_LIMIT_EXCEEDED');
      expect(reasonOf(five)).toBe('LIMIT.CREDENTIAL_OPERATIONS');
      // A flood is refused by the parser's token limit before it is even validated.
      const flood = await postFrom(stack.gateway.url, '127.0.0.1', `mutation { ${guesses(200)} }`);
      expect(codeOf(flood)).toBe('GRAPHQL_PARSE_FAILED');
      const credential = await stack.users.runtime.db
        .collection<{ _id: string; failedAttempts: number }>('credentials')
        .findOne({ _id: 'flood-victim' });
      expect(credential?.failedAttempts ?? 0).toBe(0);
    });

    it('refuses a document too large to be worth validating, before validation', async () => {
      const fields = Array.from({ length: 1_500 }, (_, i) => `f${i}: __typename`).join(' ');
      const res = await postFrom(stack.gateway.url, '127.0.0.1', `{ ${fields} }`, {}, admin);
      expect(codeOf(res)).toBe('GRAPHQL_PARSE_FAILED');
      expect(res.body.errors?.[0]?.message).toMatch(/2000 tokens/);
    });

    it('refuses deep nesting and a huge first with stable codes', async () => {
      const deep = `{ me { organization { ${'children { '.repeat(10)}id${' }'.repeat(10)} } } }`;
      const tooDeep = await postFrom(stack.gateway.url, '127.0.0.1', deep, {}, admin);
      expect([codeOf(tooDeep), reasonOf(tooDeep)]).toEqual(['OPERATION_LIMIT_EXCEEDED', 'LIMIT.DEPTH']);
      const huge = await postFrom(
        stack.gateway.url,
        '127.0.0.1',
        'query ($n: Int) { users(first: $n) { edges { node { id email } } } }',
        { n: 1_000_000 },
        admin,
      );
      expect([codeOf(huge), reasonOf(huge)]).toEqual(['OPERATION_LIMIT_EXCEEDED', 'LIMIT.COST']);
    });
  });

  describe('throttling: two attackers and one real user', () => {
    it('slows each attacker, locks only their addresses out of the account, and lets the user in', async () => {
      const password = 'Victim keeps this one 42';
      const login = await userWithPassword('throttle-victim', password);
      const attackers = ['127.0.0.2', '127.0.0.3'];
      for (const from of attackers) {
        for (let i = 0; i < 5; i++) {
          const res = await postFrom(stack.gateway.url, from, LOGIN, {
            login,
            password: `wrong ${from} ${i}`,
          });
          expect(reasonOf(res)).toBe('CREDENTIAL.SIGN_IN_FAILED');
        }
        // Locked out from this address: even the right password is refused, with the same answer.
        const right = await postFrom(stack.gateway.url, from, LOGIN, { login, password });
        expect(reasonOf(right)).toBe('CREDENTIAL.SIGN_IN_FAILED');
      }
      // The real user, from their own address, signs in.
      const user = await postFrom(stack.gateway.url, '127.0.0.4', LOGIN, { login, password });
      expect(user.body.errors).toBeUndefined();
      expect((user.body.data?.login as { accessToken?: string }).accessToken).toEqual(expect.any(String));
      // An attacker spraying other accounts runs out of its address's budget: 429 with Retry-After.
      let throttled: Answer | null = null;
      for (let i = 0; i < 10 && !throttled; i++) {
        const res = await postFrom(stack.gateway.url, attackers[0]!, LOGIN, {
          login: `nobody-${i}@example.org`,
          password: 'spray',
        });
        if (res.status === 429) throttled = res;
      }
      expect(throttled && codeOf(throttled)).toBe('TOO_MANY_REQUESTS');
      expect(Number(throttled?.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('principals', () => {
    const ME = '{ me { id } }';

    it('refuses a principal signed with the wrong key, for another subgraph, or for another operation', async () => {
      const mallory: Principal = { kind: 'user', userId: 'abuse-admin', roles: ['admin'] };
      const op = { subgraph: 'users', query: ME, variables: {} };
      const wrongKey = signPrincipal(mallory, subgraphKey('x'.repeat(40), 'users'), op);
      const forNotifications = signPrincipal(mallory, subgraphKey(SECRET, 'notifications'), {
        ...op,
        subgraph: 'notifications',
      });
      const forOther = await signedFor(stack.users.url, mallory, '{ me { id email } }');
      for (const headers of [wrongKey, forNotifications, forOther]) {
        const res = await graphql(stack.users.url, ME, {}, headers);
        expect(res.status).toBe(401);
      }
    });

    it('accepts a signed call once: the same headers replayed are refused', async () => {
      const headers = await signedFor(stack.users.url, ANONYMOUS, '{ __typename }');
      expect((await graphql(stack.users.url, '{ __typename }', {}, headers)).status).toBe(200);
      expect((await graphql(stack.users.url, '{ __typename }', {}, headers)).status).toBe(401);
    });

    it('refuses a signature older than 5 seconds', async () => {
      const old = await signedFor(
        stack.users.url,
        ANONYMOUS,
        '{ __typename }',
        {},
        { now: Date.now() - 6_000 },
      );
      expect((await graphql(stack.users.url, '{ __typename }', {}, old)).status).toBe(401);
    });
  });

  describe('tokens', () => {
    it('refuses a token within seconds of its user being suspended, and takes roles from the store', async () => {
      const created = await graphql<{ createUser: { id: string } }>(
        stack.gateway.url,
        `
          mutation ($input: CreateUserInput!) {
            createUser(input: $input) {
              id
            }
          }
        `,
        {
          input: {
            organizationId: (
              await graphql<{ createOrganization: { id: string } }>(
                stack.gateway.url,
                'mutation { createOrganization(input: {code: "ABUSE", name: "Abuse", kind: BUSINESS_UNIT}) { id } }',
                {},
                admin,
              )
            ).data!.createOrganization.id,
            email: 'suspended-soon@example.org',
            displayName: 'Soon Suspended',
          },
        },
        admin,
      );
      const id = created.data!.createUser.id;
      // A token claiming admin for a user who is not one is worth that user's rights only.
      const claimsAdmin = { authorization: `Bearer ${await stack.token(id)}` };
      const forged = await stack.keys
        .current()
        .then(({ kid, privateKey }) =>
          new SignJWT({ roles: ['admin'] })
            .setProtectedHeader({ alg: 'ES256', kid })
            .setSubject(id)
            .setIssuer(ISSUER)
            .setAudience('concierge')
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey),
        );
      const create = await graphql(
        stack.gateway.url,
        'mutation { createOrganization(input: {code: "NOPE", name: "Nope", kind: BUSINESS_UNIT}) { id } }',
        {},
        { authorization: `Bearer ${forged}` },
      );
      expect(create.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await graphql(stack.gateway.url, '{ me { id } }', {}, claimsAdmin)).errors).toBeUndefined();

      const suspended = await graphql(
        stack.gateway.url,
        'mutation ($id: ID!) { suspendUser(id: $id) { id } }',
        { id },
        admin,
      );
      expect(suspended.errors).toBeUndefined();
      const started = Date.now();
      const refused = await eventually(async () => {
        const res = await graphql(stack.gateway.url, '{ me { id } }', {}, claimsAdmin);
        return res.status === 401 ? res : undefined;
      }, 10_000);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      console.log(JSON.stringify({ refusedAfterSuspensionMs: Date.now() - started }));
    });

    it('refuses a token signed with a key the JWKS does not publish (rotated out, or never ours)', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const { kid } = await stack.keys.current();
      const token = await new SignJWT({ roles: [] })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('abuse-admin')
        .setIssuer(ISSUER)
        .setAudience('concierge')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      const res = await graphql(stack.gateway.url, '{ me { id } }', {}, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    });
  });

  it('replaces malformed correlation ids instead of echoing them', async () => {
    for (const sent of [
      '',
      'x'.repeat(500),
      '<script>alert(1)</script>',
      'has spaces in it',
      'semi;colon;header',
    ]) {
      const res = await postFrom(
        stack.gateway.url,
        '127.0.0.1',
        '{ __typename }',
        {},
        {
          'x-correlation-id': sent,
        },
      );
      expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
