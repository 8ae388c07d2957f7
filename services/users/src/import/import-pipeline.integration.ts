import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Db } from 'mongodb';
import {
  connectMongo,
  createLogger,
  CreationOutbox,
  CreationSender,
  EventContracts,
  EventPublisher,
  type RunningService,
} from '@concierge/kit';
import { createOrg, kafka, readTopic, SEAL_KEY, startAtEnd, usersConfig } from '../../../../test/testkit';
import { createCredentialEffects } from '../credentials/provisioning';
import { createCredentialStores } from '../credentials/credential.repository';
import { organizationModel } from '../organizations/organization.model';
import { OrganizationRepository } from '../organizations/organization.repository';
import { userModel } from '../directory/user.model';
import { UserRepository, type User } from '../directory/user.repository';
import { loadTree } from '../organizations/org-tree';
import { KnownUsers } from './known-users';
import { UserUpsert, type RowOutcome } from './user-upsert';
import { startServer } from '../server';

/**
 * The import's fast path against the real database and broker: batches planned while the one
 * before them is still being written, new users created without asking the store (KnownUsers), and
 * their events sent straight after each batch. What must hold is what a slower, one-batch-at-a-time
 * import gives: no report pointing at a manager who never landed, no row lost to a race.
 */
describe('import batches planned ahead (real database and broker)', () => {
  const config = usersConfig();
  let service: RunningService;
  let connection: Connection;
  const contracts = new EventContracts();
  const publisher = new EventPublisher(kafka, contracts, createLogger('test', 'silent'));

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    await createOrg(service.url, { code: 'HQ', name: 'Headquarters' });
    connection = await connectMongo(config.mongoUri);
  });

  afterAll(async () => {
    await publisher.close();
    await service.stop();
    await connection.dropDatabase();
    await connection.close();
  });

  function deps() {
    return {
      users: new UserRepository(userModel(connection)),
      orgs: new OrganizationRepository(organizationModel(connection)),
      contracts,
      actor: 'system:import',
      correlationId: randomUUID(),
      credentialEffects: createCredentialEffects(createCredentialStores(connection), {
        setPasswordTtlMs: 3_600_000,
        sealKey: SEAL_KEY,
      }),
    };
  }

  let line = 0;
  const row = (externalId: string, extra: Record<string, string> = {}) => ({
    line: ++line,
    record: {
      externalId,
      email: `${externalId.toLowerCase()}@pipeline.example.org`,
      givenName: 'Row',
      familyName: externalId,
      organization: 'HQ',
      startDate: '2020-01-01',
      ...extra,
    },
  });
  const byLine = (outcomes: RowOutcome[]) => new Map(outcomes.map((o) => [o.line, o]));

  it('when a manager planned in the batch before fails to land, then the next batch is planned again and its report waits for a manager instead of pointing at nobody', async () => {
    const d = deps();
    await new UserUpsert(d, await loadTree(d), { source: 'default' }).apply([
      row('P-TAKEN', { email: 'taken@pipeline.example.org' }),
    ]);
    const known = await KnownUsers.load(d.users);
    const sender = new CreationSender(
      CreationOutbox.of(connection.db as Db, 'users'),
      (events) => publisher.publish(events, { validated: true }),
      createLogger('test', 'silent'),
    );
    const upsert = new UserUpsert(d, await loadTree(d), { source: 'default', known, sender });
    const reader = await readTopic('concierge.user.v1');
    try {
      const first = [row('P-M1'), row('P-M2', { email: 'taken@pipeline.example.org' })];
      const second = [row('P-R1', { managerExternalId: 'P-M1' }), row('P-R2', { managerExternalId: 'P-M2' })];
      // Planned one after the other before either is written, as the import does.
      const plan1 = await upsert.plan(first);
      const plan2 = await upsert.plan(second);
      expect(plan1 && plan2).toBeTruthy();
      expect([...plan2!.borrowed.keys()].sort()).toEqual(['default:P-M1', 'default:P-M2']);

      const written1 = byLine(await upsert.commit(plan1!));
      expect(written1.get(first[0]!.line)).toMatchObject({ outcome: 'created' });
      expect(written1.get(first[1]!.line)).toMatchObject({ outcome: 'rejected', field: 'email' });

      // P-M2 never landed, so the plan that borrowed it is stale: planned again, then written.
      expect(upsert.isStale(plan2!)).toBe(true);
      upsert.discard(plan2!);
      const again = await upsert.plan(second);
      expect(upsert.isStale(again!)).toBe(false);
      const written2 = byLine(await upsert.commit(again!));
      expect(written2.get(second[0]!.line)).toMatchObject({ outcome: 'created' });
      expect(written2.get(second[1]!.line)).toMatchObject({ outcome: 'created' });
      await sender.flush();

      const stored = await d.users.findByExternalKeys(['default:P-M1', 'default:P-R1', 'default:P-R2']);
      const m1 = stored.find((u) => u.externalId === 'P-M1') as User;
      expect(stored.map((u) => u.externalId).sort()).toEqual(['P-M1', 'P-R1', 'P-R2']);
      expect(stored.find((u) => u.externalId === 'P-R1')).toMatchObject({ managerId: m1._id });
      expect(stored.find((u) => u.externalId === 'P-R2')).toMatchObject({ managerId: null });
      expect(await upsert.finish()).toEqual({ linked: 0, waiting: 1, refused: [] });

      // The discarded plan's events never go out: one user.created each for the two who landed.
      const ids = new Set(stored.map((u) => u._id));
      await new Promise((r) => setTimeout(r, 1_500));
      const created = reader
        .values()
        .filter((e) => e.type === 'user.created' && ids.has(e.subject as string));
      expect(created.map((e) => e.subject).sort()).toEqual([...ids].sort());
      const names = reader
        .values()
        .filter((e) => e.type === 'user.created')
        .map((e) => (e.data as { externalId?: string }).externalId);
      expect(names).not.toContain('P-M2');
    } finally {
      await reader.stop();
    }
  });

  it('when a batch names a user the batch in flight creates, then it waits for that write and updates the user rather than creating them twice', async () => {
    const d = deps();
    const upsert = new UserUpsert(d, await loadTree(d), {
      source: 'default',
      known: await KnownUsers.load(d.users),
    });
    const plan1 = await upsert.plan([row('P-TWICE', { title: 'Engineer' })]);
    expect(await upsert.plan([row('P-TWICE', { title: 'Senior engineer' })])).toBeNull();
    await upsert.commit(plan1!);
    const plan2 = await upsert.plan([row('P-TWICE', { title: 'Senior engineer' })]);
    const [outcome] = await upsert.commit(plan2!);
    expect(outcome).toMatchObject({ outcome: 'updated' });
    const [stored] = await d.users.findByExternalKeys(['default:P-TWICE']);
    expect(stored).toMatchObject({ title: 'Senior engineer' });
  });

  it('when someone else creates a user after the import read the directory, then that row is reported as retryable, nothing is overwritten, and importing it again updates the user', async () => {
    const d = deps();
    const known = await KnownUsers.load(d.users);
    // Another writer (the HR feed, another import) creates the user meanwhile.
    await new UserUpsert(d, await loadTree(d), { source: 'default' }).apply([
      row('P-RACE', { title: 'Set by the other writer' }),
    ]);
    const [before] = await d.users.findByExternalKeys(['default:P-RACE']);
    const upsert = new UserUpsert(d, await loadTree(d), { source: 'default', known });

    const [lost] = await upsert.apply([row('P-RACE', { title: 'Set by the import' })]);
    expect(lost).toMatchObject({ outcome: 'rejected', field: 'externalId', retryable: true });
    const [unchanged] = await d.users.findByExternalKeys(['default:P-RACE']);
    expect(unchanged).toEqual(before);

    const [retried] = await upsert.apply([row('P-RACE', { title: 'Set by the import' })]);
    expect(retried).toMatchObject({ outcome: 'updated', userId: before!._id });
    const [after] = await d.users.findByExternalKeys(['default:P-RACE']);
    expect(after).toMatchObject({ _id: before!._id, title: 'Set by the import' });
  });

  it('when reports come a batch before their manager, then they are created at once and get their manager when the import finishes', async () => {
    const d = deps();
    const upsert = new UserUpsert(d, await loadTree(d), {
      source: 'default',
      known: await KnownUsers.load(d.users),
    });
    const reports = [
      row('P-LR1', { managerExternalId: 'P-LM' }),
      row('P-LR2', { managerExternalId: 'P-LM' }),
    ];
    // Within one batch the order does not matter: the manager is placed first.
    const sameBatch = [row('P-LR3', { managerExternalId: 'P-LM2' }), row('P-LM2')];
    const written = [...(await upsert.apply(reports)), ...(await upsert.apply([row('P-LM'), ...sameBatch]))];
    expect(written.map((o) => o.outcome)).toEqual(['created', 'created', 'created', 'created', 'created']);
    const byKey = async () =>
      new Map(
        (
          await d.users.findByExternalKeys([
            'default:P-LR1',
            'default:P-LR2',
            'default:P-LR3',
            'default:P-LM',
            'default:P-LM2',
          ])
        ).map((u) => [u.externalId, u]),
      );
    const before = await byKey();
    expect(before.get('P-LR1')!.managerId).toBeNull();
    expect(before.get('P-LR3')!.managerId).toBe(before.get('P-LM2')!._id);

    // (Waits of other tests' rows that never get a manager stay; these two end.)
    expect(await upsert.finish()).toMatchObject({ linked: 2, refused: [] });
    const open = (await d.users.waitingForManagers()).map((w) => w._id);
    expect(open).not.toContain('default:P-LR1');
    expect(open).not.toContain('default:P-LR2');
    const after = await byKey();
    expect(after.get('P-LR1')!.managerId).toBe(after.get('P-LM')!._id);
    expect(after.get('P-LR2')!.managerId).toBe(after.get('P-LM')!._id);
    // Finishing again finds nothing left to do.
    expect(await upsert.finish()).toMatchObject({ linked: 0, refused: [] });
  });

  it('when a row names the user as their own manager, or a day that does not exist, then it is rejected naming that field', async () => {
    const d = deps();
    const [self, impossible] = await new UserUpsert(d, await loadTree(d), { source: 'default' }).apply([
      row('P-SELF', { managerExternalId: 'P-SELF' }),
      row('P-FEB30', { startDate: '2026-02-30' }),
    ]);
    expect(self).toMatchObject({
      outcome: 'rejected',
      field: 'managerExternalId',
      reason: 'a user cannot be their own manager',
    });
    expect(impossible).toMatchObject({ outcome: 'rejected', field: 'startDate' });
    expect(await d.users.findByExternalKeys(['default:P-SELF', 'default:P-FEB30'])).toEqual([]);
  });
});
