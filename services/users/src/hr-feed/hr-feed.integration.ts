import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  createEvent,
  ensureTopics,
  EventContracts,
  type EventEnvelope,
  type RunningService,
} from '@concierge/kit';
import {
  createOrg,
  eventually,
  kafka,
  MONGO_BASE,
  readTopic,
  usersConfig,
  startAtEnd,
} from '../../../../test/testkit';
import type { HrLeaverRecord, HrPersonRecord } from './hr-record';
import { startServer } from '../server';

const HR_TOPIC = 'concierge.hr-feed.v1';
const DEAD_LETTERS = 'concierge.dead-letter.v1';

type StoredUser = { _id: string } & Record<string, unknown>;

describe('inbound HR feed (real broker and database)', () => {
  const config = usersConfig({ schedulerIntervalMs: 250 });
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  const contracts: EventContracts = new EventContracts();
  // Organisation codes and external ids of this run only: other runs' records on the shared topic
  // (which other test files may replay) never name anything that exists here.
  const run = randomUUID().slice(0, 8).toUpperCase();
  const HQ = `HQ-${run}`;
  const SALES = `SALES-${run}`;
  const ext = (name: string) => `${name}-${run}`;
  let service: RunningService;
  let mongo: MongoClient;
  let producer: Producer;
  let userEvents: Awaited<ReturnType<typeof readTopic>>;
  let deadLetters: Awaited<ReturnType<typeof readTopic>>;
  let hq: string;
  let sales: string;

  beforeAll(async () => {
    await ensureTopics(kafka, contracts);
    const consumed = Object.keys(contracts.catalogue.topics).filter((t) => t !== contracts.deadLetterTopic);
    await startAtEnd(config.groupId as string, consumed);
    userEvents = await readTopic('concierge.user.v1');
    deadLetters = await readTopic(DEAD_LETTERS);
    service = await startServer(config);
    mongo = await new MongoClient(MONGO_BASE).connect();
    producer = kafka.producer();
    await producer.connect();
    hq = await createOrg(service.url, { code: HQ, name: 'Headquarters' });
    sales = await createOrg(service.url, { code: SALES, name: 'Sales' });
  });
  afterAll(async () => {
    await producer.disconnect();
    await userEvents.stop();
    await deadLetters.stop();
    await service.stop();
    await mongo.db(dbName).dropDatabase();
    await mongo.close();
  });

  const users = () => mongo.db(dbName).collection<StoredUser>('users');
  /** A stored user without the outbox fields the relay rewrites when it publishes. */
  const stored = (externalId: string) =>
    users().findOne({ externalId }, { projection: { outbox: 0, outboxPending: 0 } });
  const processed = (eventId: string) =>
    mongo.db(dbName).collection<{ _id: string }>('processed_events').findOne({ _id: eventId });
  const eventsOf = (userId: string) =>
    userEvents.values().filter((e) => e.subject === userId) as unknown as EventEnvelope<
      Record<string, unknown>
    >[];
  const deadLettered = (key: string): KafkaMessage[] =>
    deadLetters.messages.filter(
      (m) => m.key?.toString() === key && m.headers?.['dlq-group']?.toString() === config.groupId,
    );
  const header = (m: KafkaMessage | undefined, name: string) => m?.headers?.[name]?.toString();

  function person(externalId: string, over: Partial<HrPersonRecord> = {}): HrPersonRecord {
    return {
      externalId,
      email: `${externalId.toLowerCase()}@example.org`,
      givenName: 'Given',
      familyName: externalId,
      title: null,
      department: null,
      employeeType: 'EMPLOYEE',
      organization: HQ,
      managerExternalId: null,
      startDate: '2020-01-06T08:00:00Z',
      endDate: null,
      ...over,
    };
  }
  /** An HR feed record as the HR system publishes it: checked against its contract, subject = externalId. */
  function hrEvent(
    type: 'hr.joiner' | 'hr.mover' | 'hr.leaver',
    data: HrPersonRecord | HrLeaverRecord,
  ): EventEnvelope {
    const event = createEvent('/hr/test-hris', {
      type,
      subject: data.externalId,
      data: data as unknown as Record<string, unknown>,
      actor: 'system:test-hris',
      correlationId: randomUUID(),
    });
    contracts.validate(event);
    return event;
  }
  const send = (...events: EventEnvelope[]) =>
    producer.send({
      topic: HR_TOPIC,
      acks: -1,
      messages: events.map((e) => ({ key: e.subject, value: JSON.stringify(e), partition: 0 })),
    });

  it('when a joiner arrives, then the user is created in the organisation named by code, under the manager named by external id, and user.created is published', async () => {
    await send(hrEvent('hr.joiner', person(ext('MGR'), { title: 'Head of finance' })));
    const manager = await eventually(() => stored(ext('MGR')).then((u) => u ?? undefined));

    const joiner = hrEvent(
      'hr.joiner',
      person(ext('J1'), {
        givenName: 'Jo',
        familyName: 'Iner',
        title: 'Analyst',
        department: 'Finance',
        organization: HQ.toLowerCase(),
        managerExternalId: ext('MGR'),
        endDate: '2030-12-31T17:00:00Z',
      }),
    );
    await send(joiner);
    const user = await eventually(() => stored(ext('J1')).then((u) => u ?? undefined));
    expect(user).toMatchObject({
      organizationId: hq,
      managerId: manager._id,
      displayName: 'Jo Iner',
      title: 'Analyst',
      department: 'Finance',
      source: 'default',
      status: 'ACTIVE',
      dueAction: 'TERMINATE',
    });
    expect((user.endDate as Date).toISOString()).toBe('2030-12-31T17:00:00.000Z');

    const [created, ...more] = await eventually(async () => {
      const found = eventsOf(user._id);
      return found.length > 0 ? found : undefined;
    });
    expect(more).toHaveLength(0);
    expect(created).toMatchObject({
      type: 'user.created',
      actor: 'system:hr-feed',
      correlationid: joiner.correlationid,
      data: { userId: user._id, organizationId: hq, managerId: manager._id, externalId: ext('J1') },
    });
    // Created ACTIVE, so the user got a set-password link, as from the import.
    const tokens = mongo.db(dbName).collection('set_password_tokens');
    expect(await tokens.countDocuments({ userId: user._id })).toBe(1);
  });

  it('when the same joiner arrives again, redelivered or as a new event, then nothing is written and no event is published', async () => {
    const record = person(ext('J2'));
    const first = hrEvent('hr.joiner', record);
    await send(first);
    const before = await eventually(() => stored(ext('J2')).then((u) => u ?? undefined));
    await eventually(async () => eventsOf(before._id).length === 1);
    // Settled: the relay has published and cleared the outbox of the create.
    await eventually(async () => (await users().findOne({ _id: before._id }))?.outboxPending === false);
    const settled = await stored(ext('J2'));

    const again = hrEvent('hr.joiner', record); // same record, new event id
    await send(first, again);
    // One partition: once the second is processed, the redelivered first has been seen too.
    await eventually(() => processed(again.id).then((p) => p ?? undefined));
    expect(await stored(ext('J2'))).toEqual(settled);
    await new Promise((r) => setTimeout(r, 1_500)); // room for an event that should not come
    expect(eventsOf(before._id).map((e) => e.type)).toEqual(['user.created']);
    expect(await users().countDocuments({ externalId: ext('J2') })).toBe(1);
  });

  it('when a mover arrives, then title and organisation change and user.moved and user.updated are published', async () => {
    await send(hrEvent('hr.joiner', person(ext('J3'), { title: 'Analyst' })));
    const before = await eventually(() => stored(ext('J3')).then((u) => u ?? undefined));
    const mover = hrEvent('hr.mover', person(ext('J3'), { title: 'Account manager', organization: SALES }));
    await send(mover);

    const after = await eventually(() =>
      stored(ext('J3')).then((u) => (u?.organizationId === sales ? u : undefined)),
    );
    expect(after).toMatchObject({ _id: before._id, title: 'Account manager', status: 'ACTIVE' });
    expect(after.outboxSeq).toBe((before.outboxSeq as number) + 1); // one write
    const changes = await eventually(async () => {
      const found = eventsOf(before._id).filter((e) => e.type !== 'user.created');
      return found.length >= 2 ? found : undefined;
    });
    expect(changes.map((e) => e.type).sort()).toEqual(['user.moved', 'user.updated']);
    for (const e of changes) {
      expect(e).toMatchObject({ actor: 'system:hr-feed', correlationid: mover.correlationid });
    }
    const moved = changes.find((e) => e.type === 'user.moved');
    expect(moved?.data).toMatchObject({ before: { organizationId: hq }, after: { organizationId: sales } });
    const updated = changes.find((e) => e.type === 'user.updated');
    expect(updated?.data.changes).toEqual({ title: { before: 'Analyst', after: 'Account manager' } });
  });

  it('when a leaver arrives with an end date of now, then the end date is set and the scheduler terminates the user', async () => {
    await send(hrEvent('hr.joiner', person(ext('J4'))));
    const user = await eventually(() => stored(ext('J4')).then((u) => u ?? undefined));
    expect(user.status).toBe('ACTIVE');
    const endDate = new Date().toISOString();
    const leaver = hrEvent('hr.leaver', { externalId: ext('J4'), endDate, reason: 'RESIGNATION' });
    await send(leaver);

    const terminated = await eventually(() =>
      stored(ext('J4')).then((u) => (u?.status === 'TERMINATED' ? u : undefined)),
    );
    expect((terminated.endDate as Date).toISOString()).toBe(endDate);
    expect(terminated.dueAt).toBeNull();
    const events = await eventually(async () => {
      const found = eventsOf(user._id);
      return found.some((e) => e.type === 'user.terminated') ? found : undefined;
    });
    expect(events.find((e) => e.type === 'user.updated')).toMatchObject({
      actor: 'system:hr-feed',
      correlationid: leaver.correlationid,
      data: { changes: { endDate: { before: null, after: endDate } } },
    });
    expect(events.find((e) => e.type === 'user.terminated')?.data).toMatchObject({
      previousStatus: 'ACTIVE',
      trigger: 'SCHEDULE',
    });

    // The same leaver again, for a user who has left: nothing changes.
    const settled = await stored(ext('J4'));
    const again = hrEvent('hr.leaver', { externalId: ext('J4'), endDate, reason: 'RESIGNATION' });
    await send(again);
    await eventually(() => processed(again.id).then((p) => p ?? undefined));
    expect(await stored(ext('J4'))).toEqual(settled);
  });

  it('when records cannot be applied, then they go to the dead-letter topic with the reason, change nothing, and the next record is still processed', async () => {
    const count = await users().countDocuments();
    const bad = hrEvent('hr.joiner', person(ext('BAD'), { organization: `NOWHERE-${run}` }));
    const ghost = hrEvent('hr.mover', person(ext('GHOST')));
    const gone = hrEvent('hr.leaver', { externalId: ext('GONE'), endDate: new Date().toISOString() });
    const good = hrEvent('hr.joiner', person(ext('GOOD')));
    await send(bad, ghost, gone, good); // in this order on the one partition

    await eventually(() => stored(ext('GOOD')).then((u) => u ?? undefined));
    const [deadBad, deadGhost, deadGone] = await eventually(async () => {
      const found = [ext('BAD'), ext('GHOST'), ext('GONE')].map((k) => deadLettered(k)[0]);
      return found.every(Boolean) ? found : undefined;
    });
    expect(header(deadBad, 'dlq-reason')).toBe(
      `HrRecordRejected: organisation NOWHERE-${run} does not exist (field organization)`,
    );
    expect(header(deadGhost, 'dlq-reason')).toMatch(
      /^HrRecordRejected: no user has external id default:GHOST-/,
    );
    expect(header(deadGone, 'dlq-reason')).toMatch(
      /^HrRecordRejected: no user has external id default:GONE-/,
    );
    for (const message of [deadBad, deadGhost, deadGone]) {
      expect(header(message, 'dlq-attempts')).toBe('1'); // not retried
      expect(header(message, 'dlq-topic')).toBe(HR_TOPIC);
    }
    expect(JSON.parse(deadBad?.value?.toString() ?? '{}')).toEqual(bad); // the original message
    expect(await users().countDocuments()).toBe(count + 1); // the good one only
    for (const name of ['BAD', 'GHOST', 'GONE']) expect(await stored(ext(name))).toBeNull();
  });
});
