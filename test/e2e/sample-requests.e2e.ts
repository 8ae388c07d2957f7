import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, graphql, ROOT } from '../testkit';
import { startStack } from '../testkit/stack';

const { steps } = JSON.parse(readFileSync(join(ROOT, 'scripts', 'sample-requests.json'), 'utf8')) as {
  steps: { say: string; query: string }[];
};

describe('the sample requests that npm start prints', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  it('when a newcomer sends them in order through the gateway, then each succeeds and the last reads the user with its notifications', async () => {
    const auth = { authorization: `Bearer ${await stack.token('admin-1', ['admin'])}` };
    const [createOrg, createUser, read] = steps.map((s) => s.query) as [string, string, string];

    const org = await graphql<{ createOrganization: { id: string; code: string } }>(
      stack.gateway.url,
      createOrg,
      {},
      auth,
    );
    expect(org.errors).toBeUndefined();
    const orgId = org.data!.createOrganization.id;

    const user = await graphql<{ createUser: { id: string; status: string } }>(
      stack.gateway.url,
      createUser.replace('<organization id>', orgId),
      {},
      auth,
    );
    expect(user.errors).toBeUndefined();
    expect(user.data!.createUser.status).toBe('ACTIVE');
    const userId = user.data!.createUser.id;

    type Read = { user: { email: string; organization: { code: string }; notifications: unknown[] } };
    const res = await eventually(async () => {
      const r = await graphql<Read>(stack.gateway.url, read.replace('<user id>', userId), {}, auth);
      return (r.data?.user.notifications.length ?? 0) >= 2 ? r : undefined;
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.user).toMatchObject({ email: 'ada@example.org', organization: { code: 'HQ' } });
  });
});
