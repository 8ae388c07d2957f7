import { ADMIN, createOrg, eventually, graphql, readTopic } from '../../../../test/testkit';
import { usersService } from '../../../../test/testkit/users-service';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email displayName status } }`;

describe('users subgraph against the real database and broker', () => {
  const svc = usersService();
  let org: string;

  beforeAll(async () => {
    org = await createOrg(svc.url());
  });

  const users = () => svc.db().collection('users');

  it('when an administrator creates a user, then it is stored and user.created is published keyed by the user id', async () => {
    const reader = await readTopic('concierge.user.v1');
    try {
      const res = await graphql<{ createUser: { id: string; email: string; status: string } }>(
        svc.url(),
        CREATE,
        { input: { organizationId: org, email: '  Grace.Hopper@Example.ORG ', displayName: 'Grace Hopper' } },
        ADMIN,
      );
      expect(res.errors).toBeUndefined();
      const user = res.data!.createUser;
      expect(user).toMatchObject({ email: 'grace.hopper@example.org', status: 'ACTIVE' });

      const published = await waitForEvent(reader, user.id);
      expect(published.key).toBe(user.id);
      expect(published.event).toMatchObject({
        type: 'user.created',
        subject: user.id,
        actor: ADMIN.userId,
        data: { userId: user.id, email: 'grace.hopper@example.org', displayName: 'Grace Hopper' },
      });
      // After publishing, the relay removes the event from the document and clears the flag.
      const stored = await eventually(async () => {
        const doc = await users().findOne({ _id: user.id as never });
        return doc?.outboxPending === false ? doc : undefined;
      });
      expect(stored.outbox).toEqual([]);
    } finally {
      await reader.stop();
    }
  });

  it('when a stored event breaks its contract, then the relay sets it aside and keeps publishing the others', async () => {
    const reader = await readTopic('concierge.user.v1');
    try {
      await users().insertOne({
        _id: 'broken-outbox' as never,
        email: 'broken@example.org',
        displayName: 'Broken',
        status: 'ACTIVE',
        outbox: [{ specversion: '1.0', id: 'bad-event', type: 'user.created', data: {} }],
        outboxPending: true,
        outboxSeq: 1,
      });
      const res = await graphql<{ createUser: { id: string } }>(
        svc.url(),
        CREATE,
        { input: { organizationId: org, email: 'after-broken@example.org', displayName: 'After' } },
        ADMIN,
      );
      await waitForEvent(reader, res.data!.createUser.id);
      const broken = await eventually(async () => {
        const doc = await users().findOne({ _id: 'broken-outbox' as never });
        return doc?.outboxPending === false ? doc : undefined;
      });
      expect(broken.outboxRejected).toHaveLength(1);
      expect(reader.messages.some((m) => m.key?.toString() === 'broken-outbox')).toBe(false);
    } finally {
      await reader.stop();
    }
  });

  it('refuses an invalid e-mail with BAD_USER_INPUT on the field and stores nothing', async () => {
    const before = await users().countDocuments();
    const res = await graphql(
      svc.url(),
      CREATE,
      { input: { organizationId: org, email: 'nope', displayName: 'X' } },
      ADMIN,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(await users().countDocuments()).toBe(before);
  });

  it('refuses a duplicate e-mail with CONFLICT and leaves the first user unchanged', async () => {
    const input = { organizationId: org, email: 'dup@example.org', displayName: 'First' };
    const first = await graphql<{ createUser: { id: string } }>(svc.url(), CREATE, { input }, ADMIN);
    expect(first.errors).toBeUndefined();
    const before = await users().countDocuments();
    const second = await graphql(svc.url(), CREATE, { input: { ...input, displayName: 'Second' } }, ADMIN);
    expect(second.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'email',
      reason: 'USER.EMAIL_TAKEN',
    });
    expect(await users().countDocuments()).toBe(before);
    expect(await users().findOne({ email: 'dup@example.org' })).toMatchObject({ displayName: 'First' });
  });

  it('refuses a non-administrator with FORBIDDEN', async () => {
    const res = await graphql(
      svc.url(),
      CREATE,
      { input: { organizationId: org, email: 'x@example.org', displayName: 'X' } },
      { kind: 'user', userId: 'someone', roles: [] },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers 401 to a direct call without the gateway signature, and to a forged one', async () => {
    const unsigned = await graphql(svc.url(), '{ me { id } }');
    expect(unsigned.status).toBe(401);
    expect(unsigned.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await graphql(
      svc.url(),
      '{ me { id } }',
      {},
      {
        'x-concierge-principal': Buffer.from(JSON.stringify({ ...ADMIN, iat: Date.now() })).toString(
          'base64url',
        ),
        'x-concierge-signature': 'AAAA',
      },
    );
    expect(forged.status).toBe(401);
  });

  it('serves /health, /ready and the JWKS without a signature', async () => {
    const base = svc.url().replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
      keys: { kty: string; d?: string }[];
    };
    expect(jwks.keys[0]?.kty).toBe('EC');
    expect(jwks.keys[0]?.d).toBeUndefined(); // never the private part
  });
});

async function waitForEvent(reader: Awaited<ReturnType<typeof readTopic>>, subject: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = reader.messages.find((m) => m.key?.toString() === subject);
    if (found)
      return {
        key: found.key?.toString(),
        event: JSON.parse(found.value!.toString()) as Record<string, unknown>,
      };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no event for ${subject}`);
}
