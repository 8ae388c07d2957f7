import type { CommandStartedEvent } from 'mongodb';
import { ADMIN, createOrg, graphql } from '../testkit';
import { startStack } from '../testkit/stack';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const LIST = `query($first: Int!) {
  users(first: $first, filter: { text: "rt-report" }) {
    edges { node { id displayName organization { code name } manager { displayName } } }
  }
}`;

describe('listing users through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const commands: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ usersMongoOptions: 'monitorCommands=true' });
    stack.users.runtime.db.getClient().on('commandStarted', (e: CommandStartedEvent) => {
      // Reads of the directory's collections (the gateway's JWKS fetch reads signing keys; not counted).
      // Background work (the outbox relay's and the lifecycle scheduler's scans) is not the request's.
      const collection = e.command[e.commandName] as unknown;
      const filter = JSON.stringify(e.command.filter ?? {});
      const background = filter.includes('outboxPending') || filter.includes('dueAt');
      const read = ['find', 'aggregate', 'count'].includes(e.commandName);
      if (read && !background && (collection === 'users' || collection === 'organizations')) {
        commands.push(`${e.commandName} ${collection}`);
      }
    });
    const units = [
      await createOrg(stack.users.url, { code: 'RT-A', name: 'Round trips A' }),
      await createOrg(stack.users.url, { code: 'RT-B', name: 'Round trips B' }),
    ];
    // 10 managers with 10 reports each over two organisations; the listing shows reports only, so
    // every manager comes from a separate batched read, not from the page itself.
    for (let m = 0; m < 10; m++) {
      const manager = await graphql<{ createUser: { id: string } }>(
        stack.users.url,
        CREATE,
        {
          input: {
            organizationId: units[m % 2],
            email: `rt-boss-${m}@example.org`,
            displayName: `rt-boss-${m}`,
          },
        },
        ADMIN,
      );
      for (let r = 0; r < 10; r++) {
        await graphql(
          stack.users.url,
          CREATE,
          {
            input: {
              organizationId: units[(m + r) % 2],
              email: `rt-report-${m}-${r}@example.org`,
              displayName: `rt-report-${m}-${r}`,
              managerId: manager.data!.createUser.id,
            },
          },
          ADMIN,
        );
      }
    }
  });
  afterAll(() => stack.stop());

  async function readsFor(first: number): Promise<number> {
    const token = await stack.token(ADMIN.userId!, ['admin']);
    commands.length = 0;
    const res = await graphql<{ users: { edges: unknown[] } }>(
      stack.gateway.url,
      LIST,
      { first },
      { authorization: `Bearer ${token}` },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.users.edges).toHaveLength(first);
    return commands.length;
  }

  it('costs the same number of database reads for 10 users as for 100, each with organisation and manager', async () => {
    const small = await readsFor(10);
    const large = await readsFor(100);
    console.log(JSON.stringify({ databaseReads: { first10: small, first100: large, commands } }));
    expect(large).toBe(small);
    expect(large).toBe(3); // the page, the organisation tree, the managers
  });
});
