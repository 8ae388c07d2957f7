import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { dropDatabases, MONGO_BASE, ROOT } from '../../../../test/testkit';
import { createEvent } from '../events/envelope';
import { connectMongo } from '../mongo';
import { DueSweeper } from './due-work';
import { VersionConflictError, VersionedStore, type Versioned } from './versioned-store';

interface Counter extends Versioned {
  count: number;
  decidedBy?: string;
  dueAt?: Date | null;
}

/** Runs a contender process (test/testkit/versioned-contender.js) and returns what it printed. */
function contend(uri: string, collection: string, name: string, ids: string[], increments: number) {
  return new Promise<{ name: string; won: string[] }>((resolve, reject) => {
    const child = spawn(process.execPath, [
      join(ROOT, 'test', 'testkit', 'versioned-contender.js'),
      uri,
      collection,
      name,
      ids.join(','),
      String(increments),
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as { name: string; won: string[] }) : reject(new Error(err)),
    );
  });
}

describe('versioned store on the database that infra/ runs', () => {
  const name = `test-versioned-${randomUUID().slice(0, 8)}`;
  const uri = `${MONGO_BASE}/${name}`;
  let db: Connection;

  beforeAll(async () => {
    db = await connectMongo(uri);
  });
  afterAll(async () => {
    await db.close();
    await dropDatabases([name]);
  });

  it('when three processes decide the same aggregates at once, then each is decided exactly once, and no increment of theirs is lost', async () => {
    const store = new VersionedStore<Counter>({ db, collection: 'contended' });
    await store.init();
    const ids = Array.from({ length: 12 }, (_, i) => `agg-${i}`);
    for (const id of ids) await store.create({ _id: id, count: 0 });

    const results = await Promise.all(['p1', 'p2', 'p3'].map((p) => contend(uri, 'contended', p, ids, 60)));

    // Every aggregate has exactly one winner, and it is the one the state names.
    const winners = results.flatMap((r) => r.won.map((id) => [id, r.name] as const));
    expect(winners.map(([id]) => id).sort()).toEqual([...ids].sort());
    for (const [id, winner] of winners) expect((await store.load(id))?.decidedBy).toBe(winner);
    // 3 x 60 increments over 12 aggregates: 15 each, none lost.
    for (const id of ids) {
      const state = await store.load(id);
      expect(state?.count).toBe(15);
      // Version 1 (created) + 1 decision + 15 increments.
      expect(state?.version).toBe(17);
    }
  });

  it('when a writer dies after its claim, then the next reader sees the new version and heal runs its effects', async () => {
    const effects: string[] = [];
    const store = new VersionedStore<Counter, string>({
      db,
      collection: 'crashed',
      runEffects: async (list) => {
        effects.push(...list);
      },
    });
    await store.init();
    await store.create({ _id: 'c1', count: 0 });
    // What a writer that died right after its claim leaves: version 2 in the log, nothing else.
    const event = createEvent('/test', {
      type: 'user.updated',
      subject: 'c1',
      data: { userId: 'c1', changes: { count: { before: 0, after: 1 } } },
      actor: 'test',
      correlationId: randomUUID(),
    });
    await store.versions.insertOne({
      _id: 'c1#2',
      aggregateId: 'c1',
      version: 2,
      state: { _id: 'c1', version: 2, count: 1 },
      effects: ['grant for c1'],
      committedAt: new Date(Date.now() - 60_000),
      applied: false,
      outbox: [event],
      outboxPending: true,
      outboxSeq: 1,
    });
    expect((await store.peek('c1'))?.count).toBe(0);
    // A writer from version 1 cannot commit over it.
    await expect(
      store.commit({ _id: 'c1', version: 1, count: 0 }, { next: { _id: 'c1', version: 1, count: 5 } }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.load('c1')).toMatchObject({ version: 2, count: 1 });
    expect((await store.peek('c1'))?.count).toBe(1); // written through by the load
    expect(effects).toEqual([]);
    expect(await store.heal()).toBe(1);
    expect(effects).toEqual(['grant for c1']);
    expect(await store.heal()).toBe(0);
    // Its events wait for the relay in the same record.
    expect(await store.versions.findOne({ _id: 'c1#2' })).toMatchObject({
      applied: true,
      outboxPending: true,
    });
  });

  it('when two replicas sweep the same due timer, then it fires once, and a timer of an older version is dropped', async () => {
    const dueAt = (s: Counter) => s.dueAt ?? null;
    const a = new VersionedStore<Counter>({ db, collection: 'timed', dueAt });
    const b = new VersionedStore<Counter>({ db, collection: 'timed', dueAt });
    await a.init();
    const past = new Date(Date.now() - 5_000);
    await a.create({ _id: 't1', count: 0, dueAt: past });
    await a.create({ _id: 't2', count: 0, dueAt: past });
    // t2 changes before its timer fires: the timer of version 1 is stale, version 2 has its own.
    await a.update('t2', (s) => ({ next: { ...s, dueAt: new Date(Date.now() + 3_600_000) } }));

    const fire = (store: VersionedStore<Counter>) => (state: Counter) =>
      store.commit(state, { next: { ...state, count: state.count + 1, dueAt: null } }).then(() => undefined);
    const sweepers = ['a', 'b'].map(() => new DueSweeper({ name: `timed-${randomUUID()}`, db }));
    const now = new Date();
    const [firedA, firedB] = await Promise.all([
      a.sweepDue(now, sweepers[0]!, fire(a)),
      b.sweepDue(now, sweepers[1]!, fire(b)),
    ]);
    expect(firedA + firedB).toBe(1); // t1, by one of them
    expect((await a.load('t1'))?.count).toBe(1);
    expect((await a.load('t2'))?.count).toBe(0);
    expect(await a.timers.countDocuments({ aggregateId: 't1' })).toBe(0);
    expect(await a.timers.find({ aggregateId: 't2' }).toArray()).toEqual([
      expect.objectContaining({ version: 2 }),
    ]);
  });
});
