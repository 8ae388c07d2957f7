/**
 * Benchmark: the latency and throughput of an event from a committed write to a consumer,
 * through the transactional outbox, against a baseline of the same events sent straight to Kafka
 * with a kafkajs producer in the same run. Prints its figures; asserts nothing about time.
 */
import { randomUUID } from 'node:crypto';
import { EventContracts, type RunningService } from '@concierge/kit';
import { startServer as startUsers } from '@concierge/users';
import { organizationModel } from '../../services/users/src/organizations/organization.model';
import { OrganizationRepository } from '../../services/users/src/organizations/organization.repository';
import { userModel } from '../../services/users/src/directory/user.model';
import { UserRepository } from '../../services/users/src/directory/user.repository';
import { createUser } from '../../services/users/src/directory/create-user';
import { createOrganization } from '../../services/users/src/organizations/create-organization';
import { dropDatabases, kafka, usersConfig } from '../testkit';

const N = Number(process.env.BENCH_EVENTS ?? 1000);
const TOPIC = 'concierge.user.v1';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(label: string, produce: (i: number, tag: string) => Promise<string>) {
  const tag = randomUUID();
  const sentAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>(); // arrivals that beat the producer's await
  const latencies: number[] = [];
  const consumer = kafka.consumer({ groupId: `bench.${tag}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: false });
  let done: () => void = () => undefined;
  const record = (key: string, ms: number) => {
    sentAt.delete(key);
    latencies.push(ms);
    if (latencies.length === N) done();
  };
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      const start = sentAt.get(key);
      if (start === undefined) arrivedAt.set(key, performance.now());
      else record(key, performance.now() - start);
    },
  });
  await new Promise((r) => setTimeout(r, 3_000)); // let the group settle before timing
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    const key = await produce(i, tag);
    const arrived = arrivedAt.get(key);
    if (arrived !== undefined) record(key, arrived - started);
    else sentAt.set(key, started);
  }
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  latencies.sort((a, b) => a - b);
  const result = {
    label,
    events: N,
    perSecond: Math.round(N / seconds),
    p50ms: +percentile(latencies, 50).toFixed(1),
    p99ms: +percentile(latencies, 99).toFixed(1),
  };
  console.log(JSON.stringify(result));
  return result;
}

describe('outbox benchmark', () => {
  let users: RunningService;
  beforeAll(async () => {
    users = await startUsers(usersConfig({ outboxPollMs: 1000 }));
  });
  afterAll(async () => {
    const name = users.runtime.db.name;
    await users.stop();
    await dropDatabases([name]);
  });

  it('prints write-to-consumer figures for the outbox and for a direct producer', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const contracts = new EventContracts();
    const baseline = await measure('direct kafkajs send (baseline)', async (i, tag) => {
      const key = `${tag}-${i}`;
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key, value: JSON.stringify({ bench: true }) }],
      });
      return key;
    });
    await producer.disconnect();

    const deps = {
      users: new UserRepository(userModel(users.runtime.db)),
      orgs: new OrganizationRepository(organizationModel(users.runtime.db)),
      contracts,
      actor: 'bench',
      correlationId: 'bench',
    };
    const org = await createOrganization({ code: 'BENCH', name: 'Bench', kind: 'BUSINESS_UNIT' }, deps);
    const outbox = await measure('createUser write + outbox relay', async (i, tag) => {
      const user = await createUser(
        { organizationId: org._id, email: `bench-${tag}-${i}@example.org`, displayName: `Bench ${i}` },
        { ...deps, correlationId: tag },
      );
      users.runtime.relay.kick();
      return user._id;
    });
    console.log(
      JSON.stringify({
        ratioThroughput: +(outbox.perSecond / baseline.perSecond).toFixed(2),
        ratioP50: +(outbox.p50ms / baseline.p50ms).toFixed(2),
      }),
    );
    expect(outbox.events).toBe(N);
  });
});
