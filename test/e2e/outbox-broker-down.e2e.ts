import type { RunningService } from '@concierge/kit';
import { startServer as startNotifications } from '@concierge/notifications';
import { startServer as startUsers } from '@concierge/users';
import {
  ADMIN,
  broker,
  createOrg,
  dropDatabases,
  eventually,
  graphql,
  serviceConfig,
  startAtEnd,
  usersConfig,
} from '../testkit';

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;

describe('transactional outbox while the broker is down', () => {
  let users: RunningService;
  let notifications: RunningService;
  let org: string;

  beforeAll(async () => {
    const usersSettings = usersConfig();
    const notificationsSettings = serviceConfig('notifications');
    await startAtEnd(usersSettings.groupId as string);
    await startAtEnd(notificationsSettings.groupId as string);
    users = await startUsers(usersSettings);
    notifications = await startNotifications(notificationsSettings);
    org = await createOrg(users.url);
  });
  afterAll(async () => {
    broker('start'); // never leave the broker down for the next test file
    const names = [users.runtime.db.name, notifications.runtime.db.name];
    await Promise.all([users.stop(), notifications.stop()]);
    await dropDatabases(names);
  });

  it('when Kafka is stopped during a createUser, then the event arrives after Kafka is back and its effect happens exactly once', async () => {
    broker('stop');
    const ready = users.url.replace('/graphql', '/ready');
    await eventually(async () => (await fetch(ready)).status === 503, 30_000); // /ready tells the broker is gone
    const res = await graphql<{ createUser: { id: string } }>(
      users.url,
      CREATE,
      {
        input: {
          organizationId: org,
          email: 'offline@example.org',
          displayName: 'Written While Kafka Was Down',
        },
      },
      ADMIN,
    );
    expect(res.errors).toBeUndefined();
    const id = res.data!.createUser.id;

    // The change committed with its event still pending in the same document.
    const usersColl = users.runtime.db.collection('users');
    await new Promise((r) => setTimeout(r, 1_500)); // a few relay rounds fail meanwhile
    const pending = await usersColl.findOne({ _id: id as never });
    expect(pending).toMatchObject({
      outboxPending: true,
      outbox: [
        expect.objectContaining({ type: 'user.created' }),
        expect.objectContaining({ type: 'credential.set-password-issued' }),
      ],
    });

    broker('start');
    await eventually(async () => (await fetch(ready)).status === 200, 60_000);
    const inbox = notifications.runtime.db.collection('notifications');
    // Two effects: the welcome (user.created) and the set-password link (credential.set-password-issued).
    await eventually(async () => (await inbox.countDocuments({ userId: id })) === 2, 90_000);
    await eventually(
      async () => (await usersColl.findOne({ _id: id as never }))?.outboxPending === false,
      30_000,
    );
    // Give any duplicate delivery time to arrive; the effect must still be single.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await inbox.countDocuments({ userId: id })).toBe(2);
  });
});
