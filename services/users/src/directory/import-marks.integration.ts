import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import { connectMongo } from '@concierge/kit';
import { dropDatabases, MONGO_BASE } from '../../../../test/testkit';
import { ImportMarks, type Vouch } from './import-marks';

describe('import marks on the database that infra/ runs', () => {
  const name = `test-marks-${randomUUID().slice(0, 8)}`;
  let connection: Connection;
  let db: Db;
  let marks: ImportMarks;
  const mark = (userId: string) => db.collection('user_import_marks').findOne({ _id: userId as never });
  const vouch = (userId: string, v: number | null, digest = 'row-digest'): Vouch => ({
    userId,
    key: `hr:${userId}`,
    status: 'ACTIVE',
    displayName: 'Ada Lovelace',
    digest,
    v,
  });

  beforeAll(async () => {
    connection = await connectMongo(`${MONGO_BASE}/${name}`);
    db = connection.db as Db;
    marks = new ImportMarks(db);
  });
  afterAll(async () => {
    await connection.close();
    await dropDatabases([name]);
  });

  it('when a user is written between the import reading its mark and vouching, then the mark stays stale', async () => {
    await marks.created([{ ...vouch('u1', null), digest: 'first' }]);
    const read = (await mark('u1'))?.v as number; // the import reads the mark (v 0) ...
    await marks.unvouch('u1'); // ... someone else writes the user ...
    await marks.vouch([vouch('u1', read, 'second')]); // ... and the import vouches for what it read
    expect(await mark('u1')).toMatchObject({ stale: true, digest: 'first', v: 1 });
  });

  it('when nobody wrote the user since the read, then the vouch replaces the digest and clears stale', async () => {
    await marks.unvouch('u2'); // a user without a mark, written: a stale mark is made first
    await marks.vouch([vouch('u2', 1, 'applied')]);
    const stored = await mark('u2');
    expect(stored).toMatchObject({ digest: 'applied', v: 1, key: 'hr:u2' });
    expect(stored?.stale).toBeUndefined();
  });

  it('when a mark appeared after the import found none, then vouching as new leaves the other writer’s mark', async () => {
    await marks.unvouch('u3');
    await marks.vouch([vouch('u3', null)]);
    expect(await mark('u3')).toMatchObject({ stale: true, v: 1 });
    expect((await mark('u3'))?.digest).toBeUndefined();
  });
});
