import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADMIN,
  BROKERS,
  createOrg,
  eventually,
  graphql,
  readTopic,
  ROOT,
  SEAL_KEY,
} from '../../../../test/testkit';
import { usersService } from '../../../../test/testkit/users-service';

/**
 * The import command as an operator runs it (the built CLI in a child process) against the real
 * database and broker, beside a running users service.
 */
describe('npm run import (real database and broker)', () => {
  const svc = usersService();
  const { config } = svc;
  const dir = mkdtempSync(join(tmpdir(), 'concierge-import-'));
  const users = () => svc.db().collection<{ _id: string } & Record<string, unknown>>('users');

  function runImport(file: string, ...args: string[]) {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'services/users/dist/cli/import.js'), join(dir, file), ...args],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          USERS_MONGO_URI: config.mongoUri,
          KAFKA_BROKERS: BROKERS.join(','),
          CONCIERGE_SEAL_KEY: SEAL_KEY.toString('base64url'),
          LOG_LEVEL: 'error',
        },
      },
    );
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /** Every stored user by external id, without the fields each write changes. */
  async function stored() {
    const docs = await users()
      .find({}, { projection: { outbox: 0, outboxPending: 0, updatedAt: 0 } })
      .toArray();
    return new Map(docs.map((d) => [d.externalId as string, d]));
  }

  const HEADER = 'externalId,email,givenName,familyName,title,organization,managerExternalId,startDate';
  const GOOD = [
    'E1,ceo@example.org,Grace,Hopper,CEO,HQ,,2020-01-01',
    'E2,cfo@example.org,Katherine,Johnson,CFO,HQ,E1,2020-01-01',
    'E3,"analyst@example.org",Dorothy,Vaughan,"Analyst, payroll",HQ,E2,2020-01-01',
    'E4,starter@example.org,Mary,Jackson,Engineer,PARTNER-CO,,2099-01-01',
  ];

  beforeAll(async () => {
    await createOrg(svc.url(), { code: 'HQ', name: 'Headquarters' });
    await createOrg(svc.url(), { code: 'PARTNER-CO', name: 'Partner Co', kind: 'PARTNER' });
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a CSV file has good and bad rows, then the good ones are imported with their events and the bad ones reported by line and reason', async () => {
    writeFileSync(
      join(dir, 'people.csv'),
      [
        HEADER,
        GOOD[0],
        'E5,not-an-email,Bad,Email,,HQ,,2020-01-01', // line 3
        GOOD[1],
        'E6,lost@example.org,Lost,Soul,,NOWHERE,,2020-01-01', // line 5
        GOOD[2],
        'E7,orphan@example.org,No,Boss,,HQ,E99,2020-01-01', // line 7
        'E8,"unterminated@example.org,x,y,,HQ,,2020-01-01', // line 8: a quote that never closes
      ].join('\n') +
        '\n' +
        GOOD[3] +
        '\n' +
        // A report listed before their manager, as HR exports often do.
        'E9,early@example.org,Early,Report,,HQ,E10,2020-01-01\n' +
        'E10,boss@example.org,Late,Boss,,HQ,,2020-01-01\n',
    );
    const reader = await readTopic('concierge.user.v1');
    const credentials = await readTopic('concierge.credential.v1');
    try {
      const run = runImport('people.csv');
      expect(run.stderr).not.toContain('import failed');
      expect(run.status).toBe(2); // some rows were rejected
      expect(run.stdout).toContain('created 7, updated 0, unchanged 0, rejected 3');
      expect(run.stdout).toContain('1 user waits for a manager who is not in the directory yet');

      const report = readFileSync(join(dir, 'people.csv.rejected.csv'), 'utf8').trim().split('\n');
      expect(report[0]).toBe('line,field,reason');
      const lines = report.slice(1).map((l) => Number(l.split(',')[0]));
      expect(lines).toEqual([3, 5, 8]);
      expect(report[1]).toMatch(/^3,email,/);
      expect(report[2]).toMatch(/^5,organization,.*NOWHERE/);

      const byExternalId = await stored();
      expect([...byExternalId.keys()].sort()).toEqual(['E1', 'E10', 'E2', 'E3', 'E4', 'E7', 'E9']);
      // The report before their manager has them; the one whose manager is nowhere has none yet.
      expect(byExternalId.get('E9')).toMatchObject({ managerId: byExternalId.get('E10')!._id });
      expect(byExternalId.get('E7')).toMatchObject({ managerId: null, status: 'ACTIVE' });
      const [ceo, cfo, analyst, starter] = ['E1', 'E2', 'E3', 'E4'].map((k) => byExternalId.get(k)!);
      expect(cfo).toMatchObject({ managerId: ceo!._id, source: 'default', status: 'ACTIVE' });
      expect(analyst).toMatchObject({ managerId: cfo!._id, title: 'Analyst, payroll' });
      expect(starter).toMatchObject({ status: 'PENDING' });

      const ids = new Set([ceo, cfo, analyst, starter].map((u) => u!._id as string));
      const created = await eventually(async () => {
        const mine = reader.values().filter((e) => ids.has(e.subject as string));
        return mine.length >= 4 ? mine : undefined;
      });
      expect(created.map((e) => e.type)).toEqual(Array(4).fill('user.created'));
      expect(created.every((e) => e.actor === 'system:import')).toBe(true);
      // The three who start ACTIVE get their set-password link, sealed; the PENDING one at activation.
      const links = await eventually(async () => {
        const mine = credentials.values().filter((e) => ids.has(e.subject as string));
        return mine.length >= 3 ? mine : undefined;
      });
      expect(links.map((e) => e.subject).sort()).toEqual([ceo, cfo, analyst].map((u) => u!._id).sort());
      expect(JSON.stringify(links)).not.toMatch(/"token"/);
    } finally {
      await reader.stop();
      await credentials.stop();
    }
  });

  it('when the same file is imported again, then nothing is written and no event is published', async () => {
    const before = await stored();
    const seqs = [...before.values()].map((u) => u.outboxSeq as number);
    const ids = new Set([...before.values()].map((u) => u._id as string));
    const reader = await readTopic('concierge.user.v1');
    const ours = () => reader.values().filter((e) => ids.has(e.subject as string)).length;
    try {
      const run = runImport('people.csv');
      expect(run.status).toBe(2);
      expect(run.stdout).toContain('created 0, updated 0, unchanged 7, rejected 3');
      const after = await stored();
      expect(after).toEqual(before);
      expect([...after.values()].map((u) => u.outboxSeq)).toEqual(seqs);
      await new Promise((r) => setTimeout(r, 1_500)); // room for an event that should not come
      expect(ours()).toBe(0);
    } finally {
      await reader.stop();
    }
  });

  it('when someone else changed a user since, then the same file imported again reads that user and puts the row back', async () => {
    const before = await stored();
    const e2 = before.get('E2')!;
    const changed = await graphql(
      svc.url(),
      'mutation($id: ID!) { updateUser(id: $id, input: { title: "Acting CEO" }) { id } }',
      { id: e2._id },
      ADMIN,
    );
    expect(changed.errors).toBeUndefined();
    const marks = svc.db().collection<{ _id: string; stale?: boolean; digest?: string }>('user_import_marks');
    expect(await marks.findOne({ _id: e2._id as string })).toMatchObject({ stale: true });

    const run = runImport('people.csv');
    expect(run.stdout).toContain('created 0, updated 1, unchanged 6, rejected 3');
    expect((await stored()).get('E2')).toMatchObject({ title: 'CFO' });
    // The import vouches for the row it applied: the next run finds every row unchanged unread.
    const mark = await marks.findOne({ _id: e2._id as string });
    expect(mark?.stale).toBeUndefined();
    expect(mark?.digest).toEqual(expect.any(String));
    expect(runImport('people.csv').stdout).toContain('created 0, updated 0, unchanged 7, rejected 3');
  });

  it('when the marks are lost, then the import rebuilds them from the users and still finds every row unchanged', async () => {
    const before = await stored();
    await svc.db().collection('user_import_marks').deleteMany({});
    const first = runImport('people.csv');
    expect(first.stdout).toContain('created 0, updated 0, unchanged 7, rejected 3');
    expect(await stored()).toEqual(before);
    const marks = await svc
      .db()
      .collection('user_import_marks')
      .find({ key: { $type: 'string' } })
      .toArray();
    expect(marks).toHaveLength(before.size);
    expect(marks.every((m) => typeof m.digest === 'string' && m.stale === undefined)).toBe(true);
    expect(runImport('people.csv').stdout).toContain('created 0, updated 0, unchanged 7, rejected 3');
  });

  it('when a changed NDJSON file is imported, then only the changed user is written, with its change events', async () => {
    const before = await stored();
    writeFileSync(
      join(dir, 'changes.ndjson'),
      [
        { externalId: 'E3', email: 'analyst@example.org', title: 'Senior analyst', managerExternalId: 'E1' },
        { externalId: 'E2', email: 'cfo@example.org', title: 'CFO' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const reader = await readTopic('concierge.user.v1');
    try {
      const run = runImport('changes.ndjson');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('created 0, updated 1, unchanged 1, rejected 0');
      const after = await stored();
      expect(after.get('E3')).toMatchObject({ title: 'Senior analyst', managerId: before.get('E1')!._id });
      expect(after.get('E2')).toEqual(before.get('E2'));
      const id = before.get('E3')!._id as string;
      const events = await eventually(async () => {
        const mine = reader.values().filter((e) => e.subject === id && e.type !== 'user.created');
        return mine.length >= 2 ? mine : undefined;
      });
      expect(events.map((e) => e.type).sort()).toEqual(['user.moved', 'user.updated']);
    } finally {
      await reader.stop();
    }
  });

  it('when the manager a user waited for is imported later, then that user gets them, with the change published', async () => {
    const orphan = (await stored()).get('E7')!;
    writeFileSync(
      join(dir, 'late-manager.csv'),
      [HEADER, 'E99,late@example.org,Late,Arrival,,HQ,,2020-01-01'].join('\n'),
    );
    const reader = await readTopic('concierge.user.v1');
    try {
      const run = runImport('late-manager.csv');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('created 1, updated 0, unchanged 0, rejected 0');
      expect(run.stdout).toContain('1 user got the manager they waited for');
      const after = await stored();
      expect(after.get('E7')).toMatchObject({ managerId: after.get('E99')!._id });
      const moved = await eventually(async () =>
        reader.values().find((e) => e.subject === orphan._id && e.type === 'user.moved'),
      );
      expect(moved.data).toMatchObject({ after: { managerId: after.get('E99')!._id } });
      expect(await svc.db().collection('pending_managers').countDocuments()).toBe(0);
    } finally {
      await reader.stop();
    }
  });

  it('when run with --dry-run, then it reports what it would do and writes nothing', async () => {
    const before = await stored();
    const tokens = await svc.db().collection('set_password_tokens').countDocuments();
    writeFileSync(
      join(dir, 'dry.csv'),
      [HEADER, 'E11,new@example.org,New,Person,,HQ,E1,2020-01-01', 'E3,analyst@example.org,,,Lead,HQ,,'].join(
        '\n',
      ),
    );
    const run = runImport('dry.csv', '--dry-run');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Dry run, nothing written: would have created 1, updated 1, unchanged 0');
    expect(await stored()).toEqual(before);
    expect(await svc.db().collection('set_password_tokens').countDocuments()).toBe(tokens);
  });

  it('when the file does not exist, then the command fails with a clear message and exit status 1', () => {
    const run = runImport('missing.csv');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/import failed: .*missing\.csv/);
  });
});
