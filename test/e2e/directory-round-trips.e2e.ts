import type { CommandStartedEvent } from 'mongodb';
import { ADMIN, createOrg, graphql } from '../testkit';
import { startStack } from '../testkit/stack';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const LIST = `query($first: Int!) {
  users(first: $first, filter: { text: "rt-report" }) {
    edges { node { id displayName organization { code name } manager { id displayName } } }
  }
}`;

describe('listing users through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  const commands: { name: string; filter: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({ usersMongoOptions: 'monitorCommands=true' });
    stack.users.runtime.db.getClient().on('commandStarted', (e: CommandStartedEvent) => {
      // Reads of the directory's collections (the gateway's JWKS fetch reads signing keys; not counted).
      // Background work (the outbox relay's and the lifecycle scheduler's scans) is not the request's.
      const collection = e.command[e.commandName] as unknown;
      const filter = JSON.stringify(e.command.filter ?? {});
      const background = filter.includes('outboxPending') || filter.includes('dueBucket');
      const read = ['find', 'aggregate', 'count'].includes(e.commandName);
      if (read && !background && (collection === 'users' || collection === 'organizations')) {
        commands.push({ name: `${e.commandName} ${collection}`, filter });
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

  async function readsFor(first: number) {
    const token = await stack.token(ADMIN.userId!, ['admin']);
    // The gateway's session check reads the caller once, then caches: warm it before counting.
    await graphql(stack.gateway.url, '{ me { id } }', {}, { authorization: `Bearer ${token}` });
    commands.length = 0;
    const res = await graphql<{ users: { edges: { node: { manager: { id: string } } }[] } }>(
      stack.gateway.url,
      LIST,
      { first },
      { authorization: `Bearer ${token}` },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.users.edges).toHaveLength(first);
    const managers = new Set(res.data!.users.edges.map((e) => e.node.manager.id));
    return { reads: [...commands], managers };
  }

  it('reads each manager on the page once, by _id, however many rows share them: no read per row', async () => {
    for (const first of [10, 100]) {
      const { reads, managers } = await readsFor(first);
      console.log(JSON.stringify({ first, databaseReads: reads.length, managers: managers.size }));
      // The page, the organisation tree, then one point lookup per distinct manager (FerretDB serves
      // an equality from an index and reads the whole collection for a $in; MongoDB gets one $in).
      expect(reads).toHaveLength(2 + managers.size);
      const lookups = reads.filter((r) => r.filter.startsWith('{"_id":'));
      expect(lookups.map((r) => JSON.parse(r.filter)._id).sort()).toEqual([...managers].sort());
    }
  });
});
