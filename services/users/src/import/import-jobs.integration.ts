import { CREATION_BATCHES, type Principal } from '@concierge/kit';
import {
  ADMIN,
  createOrg,
  eventually,
  graphql,
  readTopic,
  type GraphQLResponse,
} from '../../../../test/testkit';
import { batchDigest } from './import-job-records';
import { usersService } from '../../../../test/testkit/users-service';

const JOB_FIELDS = `id status source dryRun startedBy startedAt updatedAt finishedAt finishedBy
  counts { received created updated unchanged rejected } batchesReceived pendingBatches`;
const START = `mutation($input: StartImportJobInput) { startImportJob(input: $input) { ${JOB_FIELDS} } }`;
const SEND = `mutation($jobId: ID!, $sequence: Int!, $records: [ImportRecordInput!]!) {
  sendImportBatch(jobId: $jobId, sequence: $sequence, records: $records) {
    sequence replayed
    counts { received created updated unchanged rejected }
    errors { sequence index externalId field reason }
    job { ${JOB_FIELDS} }
  }
}`;
const COMPLETE = `mutation($jobId: ID!) { completeImportJob(jobId: $jobId) { ${JOB_FIELDS} } }`;
const CANCEL = `mutation($jobId: ID!) { cancelImportJob(jobId: $jobId) { ${JOB_FIELDS} } }`;
const JOB = `query($id: ID!, $first: Int, $after: String) {
  importJob(id: $id) {
    ${JOB_FIELDS}
    errors(first: $first, after: $after) {
      edges { cursor node { sequence index externalId field reason } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const JOBS = `query($first: Int, $after: String) {
  importJobs(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;
const TRAIL = `query($filter: AuditFilter) { auditTrail(filter: $filter) { edges { node { action actor targetType after } } } }`;

type Counts = { received: number; created: number; updated: number; unchanged: number; rejected: number };
type RowError = {
  sequence: number;
  index: number;
  externalId: string | null;
  field: string | null;
  reason: string;
};
type Job = {
  id: string;
  status: string;
  source: string;
  dryRun: boolean;
  startedBy: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  finishedBy: string | null;
  counts: Counts;
  batchesReceived: number;
  pendingBatches: number[];
};
type BatchResult = { sequence: number; replayed: boolean; counts: Counts; errors: RowError[]; job: Job };
type Input = { [field: string]: unknown };

const NOBODY: Principal = { kind: 'user', userId: 'user-without-roles', roles: [] };

function counts(partial: Partial<Counts>): Counts {
  return { received: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, ...partial };
}

function codeOf(res: GraphQLResponse<unknown>) {
  return res.errors?.[0]?.extensions;
}

describe('import jobs through the graph (real database and broker)', () => {
  const svc = usersService();
  const db = () => svc.db();

  async function start(input: { source?: string; dryRun?: boolean } = {}): Promise<Job> {
    const res = await graphql<{ startImportJob: Job }>(svc.url(), START, { input }, ADMIN);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.startImportJob;
  }
  const send = (jobId: string, sequence: number, records: Input[], auth: Principal = ADMIN) =>
    graphql<{ sendImportBatch: BatchResult }>(svc.url(), SEND, { jobId, sequence, records }, auth);
  async function sent(jobId: string, sequence: number, records: Input[]): Promise<BatchResult> {
    const res = await send(jobId, sequence, records);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.sendImportBatch;
  }
  async function readJob(id: string, page: { first?: number; after?: string } = {}) {
    const res = await graphql<{
      importJob:
        | (Job & {
            errors: {
              edges: { cursor: string; node: RowError }[];
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
            };
          })
        | null;
    }>(svc.url(), JOB, { id, ...page }, ADMIN);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.importJob;
  }
  /** Every stored user by external key, without the outbox (which the relay empties meanwhile). */
  async function stored() {
    const docs = await db()
      .collection<{ _id: string } & { [field: string]: unknown }>('users')
      .find({}, { projection: { outbox: 0, outboxPending: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return new Map(docs.map((d) => [d.externalKey as string, d]));
  }

  beforeAll(async () => {
    await createOrg(svc.url(), { code: 'HQ', name: 'Headquarters' });
    await createOrg(svc.url(), { code: 'OPS', name: 'Operations' });
  });

  // The job of the first tests: two batches, the second with a bad row.
  let job: Job;
  const BATCH_0 = [
    {
      externalId: 'E1',
      email: 'grace@example.org',
      givenName: 'Grace',
      familyName: 'Hopper',
      organization: 'HQ',
    },
    {
      externalId: 'E2',
      email: 'katherine@example.org',
      givenName: 'Katherine',
      familyName: 'Johnson',
      organization: 'hq',
      managerExternalId: 'E1',
      employeeType: 'CONTRACTOR',
    },
  ];
  const BATCH_1 = [
    {
      externalId: 'E3',
      email: 'dorothy@example.org',
      givenName: 'Dorothy',
      familyName: 'Vaughan',
      title: 'Analyst',
      organization: 'OPS',
      managerExternalId: 'E1', // from the first batch: in the database by now
      startDate: '2099-01-04',
    },
    { externalId: 'E4', email: 'not-an-email', givenName: 'Bad', organization: 'OPS' },
  ];

  it('when a job gets two batches, one with a bad row, then the counts add up, the bad row is listed with its reason and the created users are published', async () => {
    const reader = await readTopic('concierge.user.v1');
    try {
      job = await start({ source: 'HRIS' });
      expect(job).toMatchObject({
        status: 'RUNNING',
        source: 'hris',
        dryRun: false,
        startedBy: ADMIN.userId,
        finishedAt: null,
        counts: counts({}),
        batchesReceived: 0,
        pendingBatches: [],
      });
      expect(Date.now() - Date.parse(job.startedAt)).toBeLessThan(60_000);

      const first = await sent(job.id, 0, BATCH_0);
      expect(first).toMatchObject({
        sequence: 0,
        replayed: false,
        counts: counts({ received: 2, created: 2 }),
      });
      expect(first.errors).toEqual([]);

      const second = await sent(job.id, 1, BATCH_1);
      expect(second).toMatchObject({
        sequence: 1,
        replayed: false,
        counts: counts({ received: 2, created: 1, rejected: 1 }),
      });
      expect(second.errors).toEqual([
        {
          sequence: 1,
          index: 1,
          externalId: 'E4',
          field: 'email',
          reason: expect.stringContaining('not-an-email'),
        },
      ]);
      expect(second.job.counts).toEqual(counts({ received: 4, created: 3, rejected: 1 }));

      const read = await readJob(job.id);
      expect(read).toMatchObject({
        status: 'RUNNING',
        counts: counts({ received: 4, created: 3, rejected: 1 }),
        batchesReceived: 2,
        pendingBatches: [],
      });
      expect(read!.errors.edges.map((e) => e.node)).toEqual(second.errors);
      expect(read!.errors.pageInfo.hasNextPage).toBe(false);

      const users = await stored();
      expect([...users.keys()].sort()).toEqual(['hris:E1', 'hris:E2', 'hris:E3']);
      const [grace, katherine, dorothy] = ['hris:E1', 'hris:E2', 'hris:E3'].map((k) => users.get(k)!);
      expect(katherine).toMatchObject({
        managerId: grace!._id,
        employeeType: 'CONTRACTOR',
        status: 'ACTIVE',
      });
      expect(dorothy).toMatchObject({ managerId: grace!._id, title: 'Analyst', status: 'PENDING' });

      const ids = new Set([grace, katherine, dorothy].map((u) => u!._id));
      const created = await eventually(async () => {
        const mine = reader.values().filter((e) => ids.has(e.subject as string));
        return mine.length >= 3 ? mine : undefined;
      });
      expect(created.map((e) => e.type)).toEqual(['user.created', 'user.created', 'user.created']);
      expect(created.every((e) => e.actor === ADMIN.userId)).toBe(true);
    } finally {
      await reader.stop();
    }
  });

  it('when a batch is sent again, then it is not applied again: its first outcome comes back, counts, users and events stay', async () => {
    const before = await stored();
    const ids = new Set([...before.values()].map((u) => u._id));
    // The first sends' events have all gone out: nothing waits in the creation outbox any more.
    await eventually(async () => (await db().collection(CREATION_BATCHES).countDocuments()) === 0);
    const reader = await readTopic('concierge.user.v1');
    const ours = () => reader.values().filter((e) => ids.has(e.subject as string)).length;
    try {
      const again = await sent(job.id, 1, BATCH_1);
      expect(again).toMatchObject({
        sequence: 1,
        replayed: true,
        counts: counts({ received: 2, created: 1, rejected: 1 }),
      });
      expect(again.errors).toEqual([expect.objectContaining({ sequence: 1, index: 1, field: 'email' })]);
      expect(again.job).toMatchObject({
        counts: counts({ received: 4, created: 3, rejected: 1 }),
        batchesReceived: 2,
      });
      const after = await stored();
      expect(after).toEqual(before); // outboxSeq and updatedAt included
      await new Promise((r) => setTimeout(r, 1_500)); // room for an event that should not come
      expect(ours()).toBe(0);
    } finally {
      await reader.stop();
    }
  });

  it('when other records are sent under a used sequence, then it is a CONFLICT and nothing is applied', async () => {
    const before = await stored();
    const res = await send(job.id, 0, [{ externalId: 'E9', email: 'other@example.org', organization: 'HQ' }]);
    expect(codeOf(res)).toMatchObject({ code: 'CONFLICT', reason: 'IMPORT_JOB.BATCH_MISMATCH' });
    expect(await stored()).toEqual(before);
    expect((await readJob(job.id))!.counts.received).toBe(4);
  });

  it('when the same batch is sent twice at once, then it is applied once and both answers agree', async () => {
    const parallel = await start();
    const records = [
      { externalId: 'P1', email: 'p1@example.org', givenName: 'Pat', organization: 'OPS' },
      {
        externalId: 'P2',
        email: 'p2@example.org',
        givenName: 'Sam',
        organization: 'OPS',
        managerExternalId: 'P1',
      },
    ];
    const [a, b] = await Promise.all([sent(parallel.id, 7, records), sent(parallel.id, 7, records)]);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(a.counts).toEqual(counts({ received: 2, created: 2 }));
    expect(b.counts).toEqual(a.counts);
    const read = await readJob(parallel.id);
    expect(read).toMatchObject({ counts: counts({ received: 2, created: 2 }), batchesReceived: 1 });
    expect([...(await stored()).keys()].filter((k) => k.startsWith('default:P'))).toHaveLength(2);
  });

  it('when a job is completed, then it says so, a further batch is a CONFLICT naming the status, and the audit trail has the job', async () => {
    const done = await graphql<{ completeImportJob: Job }>(svc.url(), COMPLETE, { jobId: job.id }, ADMIN);
    expect(done.errors).toBeUndefined();
    expect(done.data!.completeImportJob).toMatchObject({
      status: 'COMPLETED',
      finishedBy: ADMIN.userId,
      counts: counts({ received: 4, created: 3, rejected: 1 }),
    });
    expect(done.data!.completeImportJob.finishedAt).not.toBeNull();

    const before = await stored();
    const late = await send(job.id, 2, [{ externalId: 'E5', email: 'late@example.org', organization: 'HQ' }]);
    expect(codeOf(late)).toMatchObject({ code: 'CONFLICT', reason: 'IMPORT_JOB.NOT_RUNNING' });
    expect(late.errors![0]!.message).toContain('COMPLETED');
    expect(await stored()).toEqual(before);
    expect((await readJob(job.id))!.batchesReceived).toBe(2);

    // A retried completion answers the job; cancelling a completed job is refused.
    const again = await graphql<{ completeImportJob: Job }>(svc.url(), COMPLETE, { jobId: job.id }, ADMIN);
    expect(again.data!.completeImportJob.status).toBe('COMPLETED');
    const cancel = await graphql(svc.url(), CANCEL, { jobId: job.id }, ADMIN);
    expect(codeOf(cancel)).toMatchObject({ code: 'CONFLICT', reason: 'IMPORT_JOB.NOT_RUNNING' });
    expect(cancel.errors![0]!.message).toContain('COMPLETED');

    const trail = await eventually(async () => {
      const res = await graphql<{ auditTrail: { edges: { node: { action: string; actor: string } }[] } }>(
        svc.url(),
        TRAIL,
        { filter: { targetId: job.id } },
        ADMIN,
      );
      const actions = res.data?.auditTrail.edges.map((e) => e.node) ?? [];
      return actions.length >= 2 ? actions : undefined;
    });
    expect(trail.map((r) => r.action)).toEqual(['import-job.completed', 'import-job.started']);
    expect(trail.every((r) => r.actor === ADMIN.userId)).toBe(true);
  });

  it('when a batch has more than 1000 records, then it is BAD_USER_INPUT on records and changes nothing', async () => {
    const big = await start();
    const before = await stored();
    const records = Array.from({ length: 1001 }, (_, i) => ({
      externalId: `B${i}`,
      email: `b${i}@example.org`,
      givenName: 'Bulk',
      organization: 'HQ',
    }));
    const res = await send(big.id, 0, records);
    expect(codeOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'records' });
    expect(res.errors![0]!.message).toContain('1000');
    expect(await stored()).toEqual(before);
    expect(await readJob(big.id)).toMatchObject({
      counts: counts({}),
      batchesReceived: 0,
      pendingBatches: [],
    });
    expect(await db().collection('import_job_batches').countDocuments({ jobId: big.id })).toBe(0);
    // 1000 records are fine (checked in a dry run: 1000 real users would keep the audit consumer busy).
    const dry = await start({ dryRun: true });
    const ok = await sent(dry.id, 0, records.slice(0, 1000));
    expect(ok.counts).toEqual(counts({ received: 1000, created: 1000 }));
  });

  it('when a caller without the right to run imports tries, then every operation is FORBIDDEN and nothing changes', async () => {
    const open = await start();
    const attempts = [
      graphql(svc.url(), START, { input: {} }, NOBODY),
      send(open.id, 0, [{ externalId: 'X1', email: 'x1@example.org', organization: 'HQ' }], NOBODY),
      graphql(svc.url(), COMPLETE, { jobId: open.id }, NOBODY),
      graphql(svc.url(), CANCEL, { jobId: open.id }, NOBODY),
      graphql(svc.url(), JOB, { id: open.id }, NOBODY),
      graphql(svc.url(), JOBS, {}, NOBODY),
    ];
    for (const res of await Promise.all(attempts)) expect(codeOf(res)?.code).toBe('FORBIDDEN');
    expect(await readJob(open.id)).toMatchObject({ status: 'RUNNING', batchesReceived: 0 });
    expect((await stored()).has('default:X1')).toBe(false);
  });

  it('when a dry-run job gets a batch, then it counts what would happen, lists the errors and writes no user', async () => {
    const before = await stored();
    const tokens = await db().collection('set_password_tokens').countDocuments();
    const dry = await start({ source: 'hris', dryRun: true });
    expect(dry.dryRun).toBe(true);
    const result = await sent(dry.id, 0, [
      { externalId: 'E1', email: 'grace@example.org', title: 'Rear admiral' }, // would update
      { externalId: 'E8', email: 'new@example.org', givenName: 'New', organization: 'HQ' }, // would create
      { externalId: 'E2', email: 'katherine@example.org' }, // unchanged
      { externalId: 'E9', email: 'lost@example.org', givenName: 'Lost', organization: 'NOWHERE' },
    ]);
    expect(result.counts).toEqual(counts({ received: 4, created: 1, updated: 1, unchanged: 1, rejected: 1 }));
    expect(result.errors).toEqual([
      expect.objectContaining({ index: 3, externalId: 'E9', field: 'organization' }),
    ]);
    expect(await stored()).toEqual(before);
    expect(await db().collection('set_password_tokens').countDocuments()).toBe(tokens);
  });

  it('when a batch claim was left by a process that stopped, then the batch is pending and sending it again applies it', async () => {
    const crashed = await start();
    const records = [{ externalId: 'C1', email: 'c1@example.org', givenName: 'Cat', organization: 'OPS' }];
    // What a process leaves when it dies between claim and apply: an old claim, never applied.
    await db()
      .collection<{ _id: string; [field: string]: unknown }>('import_job_batches')
      .insertOne({
        _id: `${crashed.id}:0`,
        jobId: crashed.id,
        sequence: 0,
        attempt: 1,
        state: 'APPLYING',
        digest: batchDigest(records),
        claimedAt: new Date(Date.now() - 10 * 60_000),
        appliedAt: null,
        correlationId: 'crashed-request',
        ...counts({}),
      });
    expect((await readJob(crashed.id))!.pendingBatches).toEqual([0]);
    const result = await sent(crashed.id, 0, records);
    expect(result).toMatchObject({ replayed: false, counts: counts({ received: 1, created: 1 }) });
    expect(result.job).toMatchObject({ batchesReceived: 1, pendingBatches: [] });
    const claim = await db()
      .collection('import_job_batches')
      .findOne({ _id: `${crashed.id}:0` as never });
    expect(claim).toMatchObject({ attempt: 2, state: 'APPLIED' });
    expect((await stored()).has('default:C1')).toBe(true);
  });

  it('when errors and jobs span pages, then they are listed a page at a time in order', async () => {
    const paged = await start();
    await sent(paged.id, 3, [
      { externalId: 'Q1', email: 'bad-1' },
      { externalId: 'Q2', email: 'q2@example.org', organization: 'NOWHERE', givenName: 'Q' },
    ]);
    await sent(paged.id, 1, [{ externalId: 'Q3', email: 'bad-3' }]);
    const first = await readJob(paged.id, { first: 2 });
    expect(first!.errors.edges.map((e) => [e.node.sequence, e.node.index])).toEqual([
      [1, 0],
      [3, 0],
    ]);
    expect(first!.errors.pageInfo.hasNextPage).toBe(true);
    const rest = await readJob(paged.id, { first: 2, after: first!.errors.pageInfo.endCursor! });
    expect(rest!.errors.edges.map((e) => [e.node.sequence, e.node.index, e.node.field])).toEqual([
      [3, 1, 'organization'],
    ]);
    expect(rest!.errors.pageInfo.hasNextPage).toBe(false);

    const newer = await start();
    const top = await graphql<{
      importJobs: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string } };
    }>(svc.url(), JOBS, { first: 2 }, ADMIN);
    expect(top.data!.importJobs.edges.map((e) => e.node.id)).toEqual([newer.id, paged.id]);
    const next = await graphql<{ importJobs: { edges: { node: { id: string } }[] } }>(
      svc.url(),
      JOBS,
      { first: 1, after: top.data!.importJobs.pageInfo.endCursor },
      ADMIN,
    );
    expect(next.data!.importJobs.edges.map((e) => e.node.id)).not.toContain(paged.id);
    expect(next.data!.importJobs.edges).toHaveLength(1);
  });

  it('when a job does not exist, then reading it answers null and every write is NOT_FOUND', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await readJob(missing)).toBeNull();
    const writes = await Promise.all([
      send(missing, 0, [{ externalId: 'N1', email: 'n1@example.org' }]),
      graphql(svc.url(), COMPLETE, { jobId: missing }, ADMIN),
      graphql(svc.url(), CANCEL, { jobId: missing }, ADMIN),
    ]);
    for (const res of writes) expect(codeOf(res)?.code).toBe('NOT_FOUND');
  });

  it('when a job is cancelled, then it takes no more batches and keeps what it wrote', async () => {
    const cancelled = await start();
    await sent(cancelled.id, 0, [
      { externalId: 'K1', email: 'k1@example.org', givenName: 'K', organization: 'HQ' },
    ]);
    const res = await graphql<{ cancelImportJob: Job }>(svc.url(), CANCEL, { jobId: cancelled.id }, ADMIN);
    expect(res.data!.cancelImportJob).toMatchObject({ status: 'CANCELLED', batchesReceived: 1 });
    const late = await send(cancelled.id, 1, [
      { externalId: 'K2', email: 'k2@example.org', organization: 'HQ' },
    ]);
    expect(codeOf(late)).toMatchObject({ code: 'CONFLICT', reason: 'IMPORT_JOB.NOT_RUNNING' });
    expect(late.errors![0]!.message).toContain('CANCELLED');
    const users = await stored();
    expect(users.has('default:K1')).toBe(true);
    expect(users.has('default:K2')).toBe(false);
  });
});
