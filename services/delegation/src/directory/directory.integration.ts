import type { Connection } from 'mongoose';
import { connectMongo, type RunningService } from '@concierge/kit';
import { dropDatabases, eventually, kafka, serviceConfig, startAtEnd } from '../../../../test/testkit';
import { startServer } from '../server';
import { directoryUserModel } from './directory-user.model';
import { DirectoryRepository } from './directory.repository';
import { userEvents, userId } from './user-events.fixtures';

describe('user projection from concierge.user.v1 (real broker and database)', () => {
  const config = serviceConfig('delegation');
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const producer = kafka.producer();
  const events = userEvents(producer);
  let service: RunningService;
  let db: Connection;
  let directory: DirectoryRepository;

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    db = await connectMongo(config.mongoUri);
    directory = new DirectoryRepository(directoryUserModel(db));
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await service.stop();
    await db.close();
    await dropDatabases([dbName]);
  });

  const record = (id: string) => directory.findById(id);

  it('when a user is created, renamed, moved, suspended, terminated and rehired, then the record follows each event', async () => {
    const boss = userId('boss');
    const ada = userId('ada');
    await events.created({
      id: ada,
      displayName: 'Ada',
      status: 'PENDING',
      managerId: boss,
      organizationId: 'org-a',
    });
    await eventually(async () => (await record(ada))?.status === 'PENDING');
    expect(await record(ada)).toMatchObject({
      displayName: 'Ada',
      managerId: boss,
      organizationId: 'org-a',
    });

    await events.status(ada, 'activated', 'ACTIVE', 'PENDING');
    await events.updated(ada, {
      displayName: { before: 'Ada', after: 'Ada Lovelace' },
      title: { before: null, after: 'CTO' },
    });
    await events.moved(
      ada,
      { organizationId: 'org-a', managerId: boss },
      { organizationId: 'org-b', managerId: null },
    );
    await eventually(async () => (await record(ada))?.organizationId === 'org-b');
    expect(await record(ada)).toMatchObject({
      status: 'ACTIVE',
      displayName: 'Ada Lovelace',
      managerId: null,
    });

    await events.status(ada, 'suspended', 'SUSPENDED', 'ACTIVE');
    await eventually(async () => (await record(ada))?.status === 'SUSPENDED');
    await events.status(ada, 'terminated', 'TERMINATED', 'SUSPENDED');
    await eventually(async () => (await record(ada))?.status === 'TERMINATED');
    await events.rehired(ada);
    await eventually(async () => (await record(ada))?.status === 'PENDING');
    expect(await record(ada)).toMatchObject({ displayName: 'Ada Lovelace', organizationId: 'org-b' });
  });

  it('when an event arrives twice, or about a user whose creation was never seen, then the record is still right', async () => {
    const bob = userId('bob');
    const created = await events.created({ id: bob, displayName: 'Bob' });
    await events.resend(created);
    await eventually(async () => (await record(bob))?.status === 'ACTIVE');
    expect(await db.collection('directory_users').countDocuments({ _id: bob as never })).toBe(1);

    // The topic no longer holds this user's creation: the record starts from what the event says.
    const late = userId('late');
    await events.status(late, 'suspended', 'SUSPENDED', 'ACTIVE');
    await eventually(async () => (await record(late))?.status === 'SUSPENDED');
    expect(await record(late)).toMatchObject({ displayName: null, managerId: null, organizationId: null });
  });
});
