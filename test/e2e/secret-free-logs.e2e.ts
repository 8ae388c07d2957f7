import type { Principal, SignedOperation } from '@concierge/kit';
import { openSealed, subgraphKey } from '@concierge/kit';
import { createOrg, eventually, graphql, SEAL_KEY, SECRET, type GraphQLResponse } from '../testkit';
import { startStack } from '../testkit/stack';
import { capturedLines } from '../testkit/pino-capture';

/**
 * Every line every logger of the stack writes (the four subgraphs and the gateway, at trace) while
 * one user goes through activation, sign-in, refresh, password change, reset and sign-out through
 * the gateway; none may carry a password, a token, a principal signature or a key. pino writes to
 * this capture instead of stdout.
 */
jest.mock('pino', () =>
  jest.requireActual<typeof import('../testkit/pino-capture')>('../testkit/pino-capture').capturingPino(),
);
const logLines = capturedLines;

/**
 * The principal headers the gateway signs for each subgraph call (and for its session checks),
 * recorded as they leave signPrincipal: the signatures are secrets too.
 */
jest.mock('@concierge/kit', () => {
  const actual = jest.requireActual<typeof import('@concierge/kit')>('@concierge/kit');
  const signed: Record<string, string>[] = [];
  const signPrincipal = (
    principal: Principal,
    key: Buffer,
    op: SignedOperation,
    options?: { clientAddress?: string | null; now?: number },
  ): Record<string, string> => {
    const headers = actual.signPrincipal(principal, key, op, options);
    signed.push(headers);
    return headers;
  };
  return { __esModule: true, ...actual, signPrincipal, signedHeaders: signed };
});
const signedHeaders = (): Record<string, string>[] =>
  (jest.requireMock('@concierge/kit') as { signedHeaders: Record<string, string>[] }).signedHeaders;

const SERVICES = ['users', 'access-requests', 'delegation', 'notifications', 'gateway'];
/** The names the logger redacts (kit logger.ts); wherever one is a key in a line, its value is censored. */
const SECRET_NAMES = new Set([
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'sealedToken',
  'secret',
  'authorization',
  'cookie',
  'x-concierge-signature',
]);

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const SESSION = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt';
const LOGIN = `mutation($login: String!, $password: String!) { login(login: $login, password: $password) { ${SESSION} } }`;
const REFRESH = `mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ${SESSION} } }`;
const LOGOUT = `mutation($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;
const SET = `mutation($token: String!, $password: String!) { setPassword(token: $token, password: $password) }`;
const CHANGE = `mutation($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
}`;
const RESET = `mutation($userId: ID!) { resetPassword(userId: $userId) }`;
// One read that reaches every subgraph with the user's token.
const EVERYWHERE = `{ me { id notifications { kind } delegations { id } } applications { totalCount } }`;

interface Session {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}
interface Notification {
  userId: string;
  kind: string;
  sealedToken?: string;
  createdAt: Date;
}

// Quotes and a backslash: their JSON-escaped form differs from the clear one.
const FIRST = 'Quill "harbor" \\ lantern 7741';
const WRONG = 'Quill "harbor" \\ lantern 7742';
const SECOND = 'Marble orchard \\ "tundra" 5318';
const THIRD = 'Copper kestrel "nimbus" \\ 9064';

const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.code;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every key of a parsed line at any depth, with its value. */
function* entries(value: unknown, path = ''): Generator<[string, string, unknown]> {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    yield [key, `${path}.${key}`, inner];
    yield* entries(inner, `${path}.${key}`);
  }
}

describe('logs of a full credential flow through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  /** Every secret value the flow handles, by what it is. */
  const secrets = new Map<string, string>();
  const secret = (what: string, value: string): string => {
    secrets.set(`${what} (${secrets.size + 1})`, value);
    return value;
  };

  beforeAll(async () => {
    stack = await startStack({
      logLevel: 'trace',
      // About fifteen credential mutations from one address; throttling is abuse.e2e.ts's subject.
      gateway: { throttle: { burst: 100, perMinute: 100 } },
    });
  });
  let stopped = false;
  afterAll(() => (stopped ? undefined : stack.stop()));

  const inbox = (userId: string) =>
    stack.notifications.runtime.db
      .collection<Notification>('notifications')
      .find({ userId, kind: 'SET_PASSWORD' })
      .sort({ createdAt: 1 })
      .toArray();

  /** The clear token of the user's `nth` set-password link, as the e-mail delivery opens it from the inbox. */
  async function linkOf(userId: string, nth: number): Promise<string> {
    const notification = await eventually(async () => (await inbox(userId))[nth - 1]);
    const sealed = secret('sealed set-password token', notification.sealedToken ?? '');
    return secret('set-password token', openSealed(sealed, SEAL_KEY, userId));
  }

  const call = <T>(query: string, variables: Record<string, unknown>, token?: string) =>
    graphql<T>(stack.gateway.url, query, variables, token ? bearer(token) : null);

  async function signIn(login: string, password: string): Promise<Session> {
    const res = await call<{ login: Session }>(LOGIN, { login, password });
    expect(res.errors).toBeUndefined();
    const session = res.data!.login;
    secret('access token', session.accessToken);
    secret('refresh token', session.refreshToken);
    return session;
  }

  async function passwordHashOf(userId: string): Promise<void> {
    const credential = await stack.users.runtime.db
      .collection<{ _id: string; passwordHash: string | null }>('credentials')
      .findOne({ _id: userId });
    if (credential?.passwordHash) secret('password hash', credential.passwordHash);
  }

  it('when a user is activated, signs in, refreshes, changes and is reset a password and signs out, then no log line of any service carries a secret', async () => {
    const admin = secret('admin access token', await stack.token('logs-admin', ['admin']));
    const org = await createOrg(stack.gateway.url, {}, bearer(admin));
    const login = 'lin.secretless@example.org';
    const created = await call<{ createUser: { id: string } }>(
      CREATE,
      { input: { organizationId: org, email: login, displayName: 'Lin Secretless' } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const userId = created.data!.createUser.id;

    // Activation: the link from the inbox, a password, one wrong guess, then a sign-in.
    const activation = await linkOf(userId, 1);
    expect((await call(SET, { token: activation, password: secret('password', FIRST) })).data).toEqual({
      setPassword: true,
    });
    await passwordHashOf(userId);
    const wrong = await call(LOGIN, { login, password: secret('wrong password', WRONG) });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    const first = await signIn(login, FIRST);
    const everywhere = await call<{ me: { id: string } }>(EVERYWHERE, {}, first.accessToken);
    expect(everywhere.errors).toBeUndefined();
    expect(everywhere.data?.me.id).toBe(userId);

    // Refresh, then the old refresh token again: refused, and it ends the sign-in.
    const refreshed = await call<{ refreshSession: Session }>(REFRESH, { refreshToken: first.refreshToken });
    expect(refreshed.errors).toBeUndefined();
    const second = refreshed.data!.refreshSession;
    secret('access token', second.accessToken);
    secret('refresh token', second.refreshToken);
    const reused = await call(REFRESH, { refreshToken: first.refreshToken });
    expect(codeOf(reused)).toBe('UNAUTHENTICATED');
    expect(codeOf(await call(REFRESH, { refreshToken: second.refreshToken }))).toBe('UNAUTHENTICATED');

    // A new sign-in changes the password; the new one signs in, the old one no longer does.
    const third = await signIn(login, FIRST);
    const changed = await call(
      CHANGE,
      { currentPassword: FIRST, newPassword: secret('new password', SECOND) },
      third.accessToken,
    );
    expect(changed.data).toEqual({ changePassword: true });
    await passwordHashOf(userId);
    expect(codeOf(await call(LOGIN, { login, password: FIRST }))).toBe('UNAUTHENTICATED');
    const fourth = await signIn(login, SECOND);

    // An administrator resets it: a new link reaches the inbox, and sets a third password.
    expect((await call(RESET, { userId }, admin)).data).toEqual({ resetPassword: true });
    expect(codeOf(await call(REFRESH, { refreshToken: fourth.refreshToken }))).toBe('UNAUTHENTICATED');
    const reset = await linkOf(userId, 2);
    expect(reset).not.toBe(activation);
    expect((await call(SET, { token: reset, password: secret('reset password', THIRD) })).data).toEqual({
      setPassword: true,
    });
    await passwordHashOf(userId);
    const fifth = await signIn(login, THIRD);
    expect((await call(EVERYWHERE, {}, fifth.accessToken)).errors).toBeUndefined();
    expect((await call(LOGOUT, { refreshToken: fifth.refreshToken })).data).toEqual({ logout: true });
    expect(codeOf(await call(REFRESH, { refreshToken: fifth.refreshToken }))).toBe('UNAUTHENTICATED');

    // The keys: the gateway's signing secret, each subgraph's key derived from it, the seal key.
    secret('gateway signing secret', SECRET);
    for (const name of SERVICES.filter((s) => s !== 'gateway')) {
      const key = subgraphKey(SECRET, name);
      for (const encoding of ['base64url', 'base64', 'hex'] as const)
        secret(`${name} principal key (${encoding})`, key.toString(encoding));
    }
    for (const encoding of ['base64url', 'base64', 'hex'] as const)
      secret(`seal key (${encoding})`, SEAL_KEY.toString(encoding));
    // The principal signatures of every subgraph call of the flow (the gateway's and the session checks').
    const signatures = signedHeaders().map((h) => h['x-concierge-signature'] ?? '');
    expect(signatures.length).toBeGreaterThan(20);
    for (const signature of signatures) secret('principal signature', signature);

    // Lines written while the stack stops count too.
    await stack.stop();
    stopped = true;
    const lines = [...logLines()];
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    // Not vacuous: every service wrote lines, and every one answered GraphQL requests of the flow.
    const perService = Object.fromEntries(
      SERVICES.map((s) => [s, parsed.filter((p) => p.service === s)] as const),
    );
    console.log(
      JSON.stringify({
        lines: lines.length,
        perService: Object.fromEntries(Object.entries(perService).map(([s, l]) => [s, l.length])),
        secrets: secrets.size,
        redacted: lines.filter((l) => l.includes('[redacted]')).length,
      }),
    );
    for (const service of SERVICES) {
      expect(perService[service]!.some((p) => p.msg === 'graphql request')).toBe(true);
    }
    expect(parsed.every((p) => SERVICES.includes(String(p.service)))).toBe(true);

    // No secret, in clear or JSON-escaped, in any line.
    const forms = [...secrets].flatMap(([what, value]) => {
      expect(value.length).toBeGreaterThanOrEqual(12);
      return [...new Set([value, JSON.stringify(value).slice(1, -1)])].map((form) => ({ what, form }));
    });
    const leaks = lines.flatMap((line) =>
      forms.filter(({ form }) => line.includes(form)).map(({ what }) => `${what}: ${line.trim()}`),
    );
    expect(leaks).toEqual([]);

    // Wherever a secret's name is a key, at any depth, its value is censored.
    const named = parsed.flatMap((p) =>
      [...entries(p)].filter(([key, , value]) => SECRET_NAMES.has(key) && value !== '[redacted]'),
    );
    expect(named.map(([, path, value]) => `${path}=${JSON.stringify(value)}`)).toEqual([]);

    // The flow's lines name no secret at all; these prove that the loggers the stack ran with are
    // the redacting ones, at trace, and that the capture would see what they let through.
    const canary = 'canary-that-must-be-censored';
    const before = lines.length;
    const running = [stack.users, stack.accessRequests, stack.delegation, stack.notifications];
    for (const logger of [...running.map((s) => s.runtime.logger), stack.gateway.logger]) {
      logger.trace(
        {
          req: { headers: { authorization: `Bearer ${canary}`, 'x-concierge-signature': canary } },
          variables: { password: canary, refreshToken: canary },
          token: canary,
        },
        'canary',
      );
    }
    const canaries = logLines().slice(before);
    expect(canaries.map((l) => (JSON.parse(l) as { service: string }).service)).toEqual(SERVICES);
    for (const line of canaries) {
      expect(line).not.toContain(canary);
      expect(line.match(/\[redacted\]/g)).toHaveLength(5);
    }
  });
});
