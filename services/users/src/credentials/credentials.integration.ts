import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { EventContracts, openSealed, type Principal, type RunningService } from '@concierge/kit';
import {
  ADMIN,
  createOrg,
  dropDatabases,
  eventually,
  graphql,
  readTopic,
  SEAL_KEY,
  signedFor,
  usersConfig,
  type GraphQLResponse,
  startAtEnd,
} from '../../../../test/testkit';
import { bootstrapAdmin } from './bootstrap-admin';
import { mintOperatorToken } from './operator-token';
import { accessTokenSigner } from './runtime';
import { createStores } from '../stores';
import { createCredentialStores } from './credential.repository';
import { organizationModel } from '../organizations/organization.model';
import { OrganizationRepository } from '../organizations/organization.repository';
import { userModel } from '../directory/user.model';
import { UserRepository } from '../directory/user.repository';
import { startServer } from '../server';
import { capturedLines } from '../../../../test/testkit/pino-capture';

// Every line any logger of this test file writes (the services log at debug), to prove that no
// password or token reaches a log. pino writes to this stream instead of stdout.
jest.mock('pino', () =>
  jest
    .requireActual<typeof import('../../../../test/testkit/pino-capture')>(
      '../../../../test/testkit/pino-capture',
    )
    .capturingPino(),
);
const logLines = capturedLines;

const ANONYMOUS: Principal = { kind: 'anonymous', roles: [] };
const as = (userId: string, roles: string[] = []): Principal => ({ kind: 'user', userId, roles });

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id status } }`;
const SESSION = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt';
const LOGIN = `mutation($login: String!, $password: String!) { login(login: $login, password: $password) { ${SESSION} } }`;
const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { ${SESSION} } }`;
const LOGOUT = `mutation($t: String!) { logout(refreshToken: $t) }`;
const SET = `mutation($token: String!, $password: String!) { setPassword(token: $token, password: $password) }`;
const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const RESET = `mutation($id: ID!) { resetPassword(userId: $id) }`;
const lifecycle = (action: string) => `mutation($id: ID!) { ${action}(id: $id) { status } }`;

interface Session {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}
type Envelope = {
  id: string;
  type: string;
  subject: string;
  actor: string;
  correlationid: string;
  data: Record<string, unknown>;
};

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const errorOf = (res: GraphQLResponse<unknown>) => res.errors?.[0];

/** Every password and token this file handles; the last test looks for them in logs and on Kafka. */
const secrets = new Set<string>();
const secret = <T extends string>(value: T): T => {
  secrets.add(value);
  return value;
};

describe('credentials (real database and broker)', () => {
  const config = usersConfig({ logLevel: 'debug', lockoutMs: 2_000 });
  let service: RunningService;
  let reader: Awaited<ReturnType<typeof readTopic>>;
  let org: string;

  beforeAll(async () => {
    reader = await readTopic('concierge.credential.v1');
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    org = await createOrg(service.url);
  });
  afterAll(async () => {
    await reader.stop();
    await service.stop();
    await dropDatabases([new URL(config.mongoUri).pathname.slice(1)]);
  });

  const db = () => service.runtime.db;
  const eventsOf = (userId: string, type: string) =>
    (reader.values() as unknown as Envelope[]).filter((e) => e.subject === userId && e.type === type);

  async function createUser(input: Record<string, unknown>): Promise<string> {
    const res = await graphql<{ createUser: { id: string } }>(
      service.url,
      CREATE,
      { input: { organizationId: org, ...input } },
      ADMIN,
    );
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.createUser.id;
  }

  /**
   * The clear token of the user's `nth` set-password link of `purpose`, opened from its event as
   * the notifications service would.
   */
  async function linkOf(userId: string, purpose = 'ACTIVATION', nth = 1): Promise<string> {
    const event = await eventually(
      async () =>
        eventsOf(userId, 'credential.set-password-issued').filter((e) => e.data.purpose === purpose)[nth - 1],
    );
    return secret(openSealed(event.data.sealedToken as string, SEAL_KEY, userId));
  }

  const login = (name: string, password: string) =>
    graphql<{ login: Session }>(service.url, LOGIN, { login: name, password }, ANONYMOUS);
  const refresh = (token: string) =>
    graphql<{ refreshSession: Session }>(service.url, REFRESH, { t: token }, ANONYMOUS);
  const setPassword = (token: string, password: string) =>
    graphql<{ setPassword: boolean }>(service.url, SET, { token, password }, ANONYMOUS);

  async function signedIn(name: string, password: string): Promise<Session> {
    const res = await login(name, password);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    secret(res.data.login.accessToken);
    return { ...res.data.login, refreshToken: secret(res.data.login.refreshToken) };
  }

  /** An ACTIVE user with a password set through their activation link. */
  async function userWithPassword(email: string, password: string, username?: string): Promise<string> {
    const id = await createUser({ email, displayName: email.split('@')[0], username });
    const res = await setPassword(await linkOf(id), secret(password));
    if (!res.data?.setPassword) throw new Error(JSON.stringify(res.errors));
    return id;
  }

  it('when a user becomes active (on demand, by schedule or at creation), then exactly one set-password link is issued, sealed for notifications and never in clear on Kafka or in the database', async () => {
    const pending = await createUser({
      email: 'pending@example.org',
      displayName: 'Pending Person',
      startDate: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(eventsOf(pending, 'credential.set-password-issued')).toHaveLength(0);
    const activated = await graphql(service.url, lifecycle('activateUser'), { id: pending }, ADMIN);
    expect(activated.errors).toBeUndefined();
    const scheduled = await createUser({
      email: 'scheduled@example.org',
      displayName: 'Scheduled Person',
      startDate: new Date(Date.now() + 1_000).toISOString(),
    });
    const immediate = await createUser({ email: 'immediate@example.org', displayName: 'Immediate Person' });

    for (const id of [pending, scheduled, immediate]) {
      const token = await linkOf(id);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
      await new Promise((r) => setTimeout(r, 500)); // room for a second link to show up
      const events = eventsOf(id, 'credential.set-password-issued');
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      const [event] = events;
      expect(event?.data).toMatchObject({ userId: id, purpose: 'ACTIVATION' });
      const ttl = Date.parse(event?.data.expiresAt as string) - Date.now();
      expect(ttl).toBeGreaterThan(71.9 * 3_600_000);
      expect(ttl).toBeLessThanOrEqual(72 * 3_600_000);
      expect(Object.keys(event?.data ?? {}).sort()).toEqual(
        ['displayName', 'email', 'expiresAt', 'purpose', 'sealedToken', 'userId'].sort(),
      );
      // On the wire: the message bytes and headers never hold the clear token.
      for (const message of reader.messages) {
        expect(message.value?.includes(token)).toBe(false);
        expect(JSON.stringify(message.headers ?? {})).not.toContain(token);
      }
      // At rest: the hash only.
      const stored = await db().collection('set_password_tokens').findOne({ userId: id });
      expect(stored?._id).toBe(sha256(token));
      for (const name of ['users', 'credentials', 'set_password_tokens', 'set_password_token_claims']) {
        const docs = await db().collection(name).find({}).toArray();
        expect(JSON.stringify(docs)).not.toContain(token);
      }
    }
  });

  it('when a password breaks the policy, then setPassword refuses it on `password` and stores nothing; the link then sets a good password once', async () => {
    const id = await createUser({
      email: 'ada.lovelace@example.org',
      username: 'ada',
      displayName: 'Ada Lovelace',
    });
    const token = await linkOf(id);
    const refusals: [string, string][] = [
      [secret('tooShort!1'), 'PASSWORD.TOO_SHORT'],
      [secret('qwerty123456'), 'PASSWORD.COMMON'],
      [secret('my ada.lovelace secret'), 'PASSWORD.CONTAINS_IDENTITY'],
    ];
    for (const [password, reason] of refusals) {
      const res = await setPassword(token, password);
      expect(errorOf(res)?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'password', reason });
      expect(errorOf(res)?.message).not.toContain(password);
    }
    expect(
      (
        await db()
          .collection('credentials')
          .findOne({ _id: id as never })
      )?.passwordHash ?? null,
    ).toBeNull();
    expect(await db().collection('set_password_token_claims').countDocuments({ userId: id })).toBe(0);

    const good = secret('Analytical Engine 1843');
    const set = await setPassword(token, good);
    expect(set).toEqual({ status: 200, data: { setPassword: true } });
    const credential = await db()
      .collection('credentials')
      .findOne({ _id: id as never });
    expect(credential?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const changed = await eventually(async () => eventsOf(id, 'credential.password-changed')[0]);
    expect(changed).toMatchObject({ actor: id, data: { userId: id, method: 'SET_WITH_TOKEN' } });

    const again = await setPassword(token, secret('Another good passphrase'));
    expect(errorOf(again)?.extensions).toMatchObject({ field: 'token', reason: 'CREDENTIAL.TOKEN_USED' });
    const garbage = await setPassword('not-a-token', secret('Another good passphrase'));
    expect(errorOf(garbage)?.extensions).toMatchObject({
      field: 'token',
      reason: 'CREDENTIAL.TOKEN_INVALID',
    });
    // The first password stays.
    expect((await login('ada', good)).data?.login.accessToken).toEqual(expect.any(String));
  });

  it('when the same link is used twice at once, then exactly one use sets a password', async () => {
    const id = await createUser({ email: 'racer@example.org', displayName: 'Racer' });
    const token = await linkOf(id);
    const passwords = [0, 1, 2, 3].map((i) => secret(`Concurrent passphrase ${i}`));
    const results = await Promise.all(passwords.map((p) => setPassword(token, p)));
    const won = results.filter((r) => r.data?.setPassword === true);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => !r.data)) {
      expect(errorOf(lost)?.extensions?.reason).toBe('CREDENTIAL.TOKEN_USED');
    }
    const winner = passwords[results.findIndex((r) => r.data?.setPassword === true)] as string;
    expect((await login('racer@example.org', winner)).data?.login.accessToken).toEqual(expect.any(String));
  });

  it('when a user signs in with username or e-mail, then they get an access token that verifies against the JWKS and a refresh token', async () => {
    const password = 'Compiler pioneer COBOL 1959';
    const id = await userWithPassword('grace.hopper@example.org', password, 'grace');
    const jwks = createLocalJWKSet(
      (await (
        await fetch(service.url.replace('/graphql', '/.well-known/jwks.json'))
      ).json()) as JSONWebKeySet,
    );
    for (const name of ['grace', '  Grace.Hopper@Example.ORG ']) {
      const session = await signedIn(name, password);
      const { payload, protectedHeader } = await jwtVerify(session.accessToken, jwks, {
        issuer: 'concierge-users',
        audience: 'concierge',
      });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ sub: id, roles: [] });
      expect(Date.parse(session.accessTokenExpiresAt)).toBe((payload.exp as number) * 1000);
      expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const days = (Date.parse(session.refreshTokenExpiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);
      expect(
        await db()
          .collection('refresh_tokens')
          .countDocuments({ _id: sha256(session.refreshToken) as never }),
      ).toBe(1);
    }
  });

  it('when the login is unknown or the password wrong, then the answer is the same UNAUTHENTICATED error', async () => {
    await userWithPassword('katherine@example.org', 'Orbital mechanics 1962 calc');
    const wrong = await login('katherine@example.org', secret('not her password at all'));
    const unknown = await login('nobody@example.org', secret('not her password at all'));
    const empty = await login('', '');
    for (const res of [wrong, unknown, empty]) {
      expect(res.data).toBeNull();
      expect(errorOf(res)).toEqual(errorOf(wrong));
    }
    expect(errorOf(wrong)?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'CREDENTIAL.SIGN_IN_FAILED',
    });
  });

  it('when a refresh token is used, then it rotates; presenting the old one again is refused and ends that sign-in, not the others', async () => {
    const password = 'FORTRAN teacher West Computing';
    const id = await userWithPassword('dorothy@example.org', password);
    const first = await signedIn('dorothy@example.org', password);
    const other = await signedIn('dorothy@example.org', password);

    const rotated = await refresh(first.refreshToken);
    expect(rotated.errors).toBeUndefined();
    const second = rotated.data!.refreshSession;
    secret(second.refreshToken);
    secret(second.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshTokenExpiresAt).toBe(first.refreshTokenExpiresAt); // rotation does not extend

    const replay = await refresh(first.refreshToken);
    expect(errorOf(replay)?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      field: 'refreshToken',
      reason: 'CREDENTIAL.SESSION_ENDED',
    });
    // Reuse revoked the whole family: the successor no longer works either.
    expect(errorOf(await refresh(second.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
    const revoked = await eventually(async () => eventsOf(id, 'credential.sessions-revoked')[0]);
    expect(revoked.data).toEqual({
      userId: id,
      reason: 'REFRESH_TOKEN_REUSE',
      familyId: expect.any(String) as string,
    });
    // Another sign-in of the same user is untouched.
    const stillThere = await refresh(other.refreshToken);
    expect(stillThere.errors).toBeUndefined();
    secret(stillThere.data!.refreshSession.refreshToken);
    // logout ends it; a second logout has nothing to end.
    const logout = (t: string) => graphql<{ logout: boolean }>(service.url, LOGOUT, { t }, ANONYMOUS);
    expect((await logout(stillThere.data!.refreshSession.refreshToken)).data).toEqual({ logout: true });
    expect((await logout(stillThere.data!.refreshSession.refreshToken)).data).toEqual({ logout: false });
    expect(errorOf(await refresh(stillThere.data!.refreshSession.refreshToken))?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('when one refresh token is presented several times at once, then one rotation is stored and the sign-in ends', async () => {
    const password = 'Wind tunnel engineer 1958';
    await userWithPassword('mary@example.org', password);
    const session = await signedIn('mary@example.org', password);
    const results = await Promise.all([0, 1, 2, 3, 4].map(() => refresh(session.refreshToken)));
    const won = results.flatMap((r) => (r.data ? [r.data.refreshSession] : []));
    for (const s of won) secret(s.refreshToken);
    // One successor was stored (the claim); the others saw reuse and ended the sign-in, which may
    // have caught the winner too before it answered.
    const successors = await db()
      .collection('refresh_tokens')
      .countDocuments({ parentId: sha256(session.refreshToken) });
    expect(successors).toBe(1);
    expect(won.length).toBeLessThanOrEqual(1);
    for (const s of won)
      expect(errorOf(await refresh(s.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('when 5 wrong passwords are given, then the account locks: even the right password is refused until the lock ends', async () => {
    const password = 'Frequency hopping torpedo';
    const id = await userWithPassword('hedy@example.org', password);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await login('hedy@example.org', secret(`wrong guess number ${attempt}`));
      expect(errorOf(res)?.extensions?.reason).toBe('CREDENTIAL.SIGN_IN_FAILED');
    }
    const locked = await eventually(async () => eventsOf(id, 'credential.locked')[0]);
    const lockedUntil = Date.parse(locked.data.lockedUntil as string);
    expect(lockedUntil - Date.now()).toBeGreaterThan(0);
    expect(lockedUntil - Date.now()).toBeLessThanOrEqual(2_000);

    const sixth = await login('hedy@example.org', password);
    expect(errorOf(sixth)?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'CREDENTIAL.SIGN_IN_FAILED',
    });
    expect(eventsOf(id, 'credential.locked')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, lockedUntil - Date.now() + 50));
    const after = await signedIn('hedy@example.org', password);
    expect(after.accessToken).toBeDefined();
    const credential = await db()
      .collection('credentials')
      .findOne({ _id: id as never });
    expect(credential).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });

  it('when the caller sends an empty or malformed x-correlation-id, then a new id is used and the lockout still locks', async () => {
    const password = 'Compiler of the first kind';
    const id = await userWithPassword('grace@example.org', password);
    const headers = (correlationId: string) => ({ 'x-correlation-id': correlationId });
    for (const [attempt, sent] of ['', '', 'bad id', 'x', 'abcdefgh;forged'].entries()) {
      const res = await graphql(
        service.url,
        LOGIN,
        { login: 'grace@example.org', password: secret(`not it, try ${attempt}`) },
        ANONYMOUS,
        headers(sent),
      );
      expect(errorOf(res)?.extensions).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'CREDENTIAL.SIGN_IN_FAILED',
      });
    }
    // Locked: the right password is refused too, with the same answer, not an internal error.
    const right = await graphql(
      service.url,
      LOGIN,
      { login: 'grace@example.org', password },
      ANONYMOUS,
      headers(''),
    );
    expect(errorOf(right)?.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'CREDENTIAL.SIGN_IN_FAILED',
    });
    const locked = await eventually(async () => eventsOf(id, 'credential.locked')[0]);
    expect(locked.correlationid).toMatch(/^[0-9a-f-]{36}$/);
    const res = await fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await signedFor(service.url, ANONYMOUS, '{ __typename }')),
        ...headers(''),
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await signedFor(service.url, ANONYMOUS, '{ __typename }')),
        ...headers('hris-change-000123'),
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(kept.headers.get('x-correlation-id')).toBe('hris-change-000123');
  });

  it('when a user is suspended, then their refresh token stops working at once, and stays dead after reactivation', async () => {
    const password = 'Spanning tree protocol 1985';
    const id = await userWithPassword('radia@example.org', password);
    const session = await signedIn('radia@example.org', password);
    const suspended = await graphql(service.url, lifecycle('suspendUser'), { id }, ADMIN);
    expect(suspended.errors).toBeUndefined();

    expect(errorOf(await refresh(session.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await login('radia@example.org', password))?.extensions?.code).toBe('UNAUTHENTICATED');
    const revoked = await eventually(async () => eventsOf(id, 'credential.sessions-revoked')[0]);
    expect(revoked.data).toEqual({ userId: id, reason: 'SUSPENDED' });
    const tokens = await db().collection('refresh_tokens').find({ userId: id }).toArray();
    expect(tokens.every((t) => t.revokedAt instanceof Date)).toBe(true);

    await graphql(service.url, lifecycle('activateUser'), { id }, ADMIN);
    expect(errorOf(await refresh(session.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await signedIn('radia@example.org', password)).accessToken).toBeDefined();
    // She has a password: reactivation issues no new link.
    expect(eventsOf(id, 'credential.set-password-issued')).toHaveLength(1);
  });

  it('when a signed-in user changes their password, then the current one is required and every sign-in ends', async () => {
    const password = 'Substitution principle 1987';
    const id = await userWithPassword('barbara@example.org', password);
    const session = await signedIn('barbara@example.org', password);
    const change = (current: string, next: string, who: Principal = as(id)) =>
      graphql<{ changePassword: boolean }>(service.url, CHANGE, { c: current, n: next }, who);
    const fresh = secret('Abstract data types 1974');

    expect(errorOf(await change(password, fresh, ANONYMOUS))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await change(secret('a wrong current one'), fresh))?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
      reason: 'CREDENTIAL.WRONG_PASSWORD',
    });
    expect(errorOf(await change(password, secret('short')))?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'newPassword',
      reason: 'PASSWORD.TOO_SHORT',
    });
    // unchanged so far
    expect((await login('barbara@example.org', password)).data?.login.accessToken).toEqual(
      expect.any(String),
    );

    expect((await change(password, fresh)).data).toEqual({ changePassword: true });
    expect(errorOf(await login('barbara@example.org', password))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await signedIn('barbara@example.org', fresh)).accessToken).toBeDefined();
    expect(errorOf(await refresh(session.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
    const changed = await eventually(async () =>
      eventsOf(id, 'credential.password-changed').find((e) => e.data.method === 'CHANGE'),
    );
    expect(changed.actor).toBe(id);
  });

  it('when an administrator resets a password, then a new link goes out and the old password, links and sign-ins stop working; others are FORBIDDEN', async () => {
    const password = 'Optimizing compilers IBM 1957';
    const id = await userWithPassword('frances@example.org', password);
    const session = await signedIn('frances@example.org', password);
    const reset = (who: Principal) => graphql<{ resetPassword: boolean }>(service.url, RESET, { id }, who);

    expect(errorOf(await reset(as(id)))?.extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await reset(as('someone-else')))?.extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await reset(ANONYMOUS))?.extensions?.code).toBe('UNAUTHENTICATED');
    // nothing changed
    expect((await login('frances@example.org', password)).data?.login.accessToken).toEqual(
      expect.any(String),
    );

    // An administrator as sign-in makes one: bootstrapped, then signed in with the admin role.
    const bootstrapped = await bootstrapAdmin(
      { email: 'root@example.org' },
      {
        users: new UserRepository(userModel(db())),
        orgs: new OrganizationRepository(organizationModel(db())),
        contracts: new EventContracts(),
        actor: 'system:bootstrap-admin',
        correlationId: 'bootstrap-test',
        ...createCredentialStores(db()),
        setPasswordTtlMs: 60_000,
      },
    );
    expect(bootstrapped).toMatchObject({ created: true, token: { purpose: 'ACTIVATION' } });
    const adminPassword = secret('Trust anchor keeper 2027');
    expect((await setPassword(secret(bootstrapped.token!.token), adminPassword)).data).toEqual({
      setPassword: true,
    });
    const admin = await signedIn('root@example.org', adminPassword);
    const claims = JSON.parse(Buffer.from(admin.accessToken.split('.')[1]!, 'base64url').toString()) as {
      sub: string;
      roles: string[];
    };
    expect(claims.roles).toEqual(['admin']);

    expect((await reset(as(claims.sub, claims.roles))).data).toEqual({ resetPassword: true });
    expect(errorOf(await login('frances@example.org', password))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await refresh(session.refreshToken))?.extensions?.code).toBe('UNAUTHENTICATED');
    const revoked = await eventually(async () =>
      eventsOf(id, 'credential.sessions-revoked').find((e) => e.data.reason === 'PASSWORD_RESET'),
    );
    expect(revoked.actor).toBe(claims.sub);

    const link = await linkOf(id, 'ADMIN_RESET');
    const newPassword = secret('Parallel compilers reset 2027');
    expect((await setPassword(link, newPassword)).data).toEqual({ setPassword: true });
    expect((await signedIn('frances@example.org', newPassword)).accessToken).toBeDefined();

    // A second reset voids the unused link of the first.
    await reset(as(claims.sub, claims.roles));
    const second = await linkOf(id, 'ADMIN_RESET', 2);
    await reset(as(claims.sub, claims.roles));
    const third = await linkOf(id, 'ADMIN_RESET', 3);
    const stale = await setPassword(second, secret('Stale link passphrase'));
    expect(errorOf(stale)?.extensions).toMatchObject({ field: 'token', reason: 'CREDENTIAL.TOKEN_INVALID' });
    expect((await setPassword(third, secret('Fresh link passphrase'))).data).toEqual({ setPassword: true });

    // A user who is not ACTIVE cannot be reset: CONFLICT naming the status.
    const pending = await createUser({
      email: 'later@example.org',
      displayName: 'Later',
      startDate: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const refused = await graphql(service.url, RESET, { id: pending }, ADMIN);
    expect(errorOf(refused)?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'CREDENTIAL.CANNOT_RESET_PENDING',
    });
  });

  it('when the token command mints, then only for an existing active user with roles they hold, and audited; the bootstrap grant is audited too', async () => {
    const all = createStores(db(), { sealKey: SEAL_KEY });
    const stores = { users: all.users, ...all.credentials };
    const boot = await bootstrapAdmin(
      { email: 'operator@example.org' },
      {
        ...stores,
        orgs: all.orgs,
        contracts: new EventContracts(),
        actor: 'system:bootstrap-admin',
        correlationId: 'bootstrap-operator',
        setPasswordTtlMs: 60_000,
      },
    );
    const deps = {
      ...stores,
      contracts: new EventContracts(),
      signAccessToken: accessTokenSigner(all.keys, { issuer: 'concierge-users', ttlS: 300 }),
      actor: 'system:token-command',
      correlationId: 'token-command-test',
    };
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: { extensions?: { code?: string; field?: string } }) => err.extensions,
      );
    expect(
      await refusal(mintOperatorToken({ userId: 'bootstrap-admin', roles: ['admin'] }, deps)),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'user',
    });
    expect(await refusal(mintOperatorToken({ email: 'nobody@example.org' }, deps))).toMatchObject({
      field: 'email',
    });
    expect(
      await refusal(mintOperatorToken({ email: 'operator@example.org', roles: ['superuser'] }, deps)),
    ).toMatchObject({ field: 'role' });
    const pending = await createUser({
      email: 'not-yet@example.org',
      displayName: 'Not Yet',
      startDate: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(await refusal(mintOperatorToken({ userId: pending }, deps))).toMatchObject({ field: 'user' });
    // An active user who never set a password gets a token with the roles they hold: none.
    const fresh = await createUser({ email: 'no-password-yet@example.org', displayName: 'No Password Yet' });
    const plain = await mintOperatorToken({ userId: fresh }, deps);
    secret(plain.token);
    expect(plain).toMatchObject({ userId: fresh, roles: [] });

    const minted = await mintOperatorToken({ email: 'operator@example.org' }, deps);
    secret(minted.token);
    expect(minted).toMatchObject({ userId: boot.userId, roles: ['admin'] });
    const jwks = (await (
      await fetch(service.url.replace('/graphql', '/.well-known/jwks.json'))
    ).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(minted.token, createLocalJWKSet(jwks));
    expect(payload).toMatchObject({ sub: boot.userId, roles: ['admin'] });

    const audit = db().collection<{ action: string; targetId: string; after: string | null }>(
      'audit_records',
    );
    const recorded = (action: string) =>
      eventually(async () => (await audit.findOne({ action, targetId: boot.userId })) ?? undefined);
    const mintRecord = await recorded('access-token.minted');
    expect(JSON.parse(mintRecord.after ?? 'null')).toMatchObject({ roles: ['admin'] });
    expect(JSON.stringify(mintRecord)).not.toContain(minted.token);
    const grant = await recorded('user.role-granted');
    expect(JSON.parse(grant.after ?? 'null')).toEqual({ globalRoles: ['admin'] });
  });

  it('never writes a password or a token to the logs or in clear to Kafka', async () => {
    const lines = logLines().join('');
    // The capture works, the service logs at debug, and the credential flows ran.
    expect(service.runtime.logger.level).toBe('debug');
    expect(lines).toContain('signed in');
    expect(lines).toContain('password set with a one-time token');
    expect(lines).toContain('sign-in refused');
    expect(secrets.size).toBeGreaterThan(20);
    const wire = reader.messages
      .map((m) => `${m.value?.toString() ?? ''}${JSON.stringify(m.headers ?? {})}`)
      .join('');
    for (const value of secrets) {
      expect(lines.includes(value)).toBe(false);
      expect(wire.includes(value)).toBe(false);
    }
  });
});

describe('set-password links expire', () => {
  const config = usersConfig({ setPasswordTtlMs: 1_500 });
  let service: RunningService;
  let reader: Awaited<ReturnType<typeof readTopic>>;

  beforeAll(async () => {
    reader = await readTopic('concierge.credential.v1');
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
  });
  afterAll(async () => {
    await reader.stop();
    await service.stop();
    await dropDatabases([new URL(config.mongoUri).pathname.slice(1)]);
  });

  it('when a link has expired, then setPassword refuses it on `token` and stores nothing', async () => {
    const org = await createOrg(service.url);
    const res = await graphql<{ createUser: { id: string } }>(
      service.url,
      CREATE,
      { input: { organizationId: org, email: 'slow@example.org', displayName: 'Slow' } },
      ADMIN,
    );
    const id = res.data!.createUser.id;
    const event = await eventually(async () =>
      (reader.values() as unknown as Envelope[]).find(
        (e) => e.subject === id && e.type === 'credential.set-password-issued',
      ),
    );
    const token = openSealed(event.data.sealedToken as string, SEAL_KEY, id);
    await new Promise((r) => setTimeout(r, Date.parse(event.data.expiresAt as string) - Date.now() + 50));
    const late = await graphql(service.url, SET, { token, password: 'Patience is a virtue 1' }, ANONYMOUS);
    expect(errorOf(late)?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'token',
      reason: 'CREDENTIAL.TOKEN_EXPIRED',
    });
    expect(await service.runtime.db.collection('credentials').countDocuments({ _id: id as never })).toBe(0);
  });
});
