/**
 * Helpers for integration and end-to-end tests: isolated databases and consumer groups per test
 * file, signed calls to subgraphs, a Kafka reader, broker stop/start, polling.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  EventContracts,
  ensureTopics,
  signPrincipal,
  subgraphKey,
  type Principal,
  type ServiceConfig,
} from '@concierge/kit';

export const ROOT = join(__dirname, '..', '..');
// The test stack of infra/ (CONCIERGE_PROFILE=test), apart from the development one.
export const MONGO_BASE = process.env.TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27027';
export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9192').split(',');
export const SECRET = randomBytes(32).toString('base64url');
/** The CONCIERGE_SEAL_KEY of this test run: users seals set-password tokens, notifications opens them. */
export const SEAL_KEY = randomBytes(32);

export const ADMIN: Principal = { kind: 'user', userId: 'admin-test', roles: ['admin'] };

/** A service config on a fresh database and consumer group, port 0, quiet logs, the run's seal key. */
export function serviceConfig(
  name: string,
  overrides: Partial<ServiceConfig> = {},
): ServiceConfig & { sealKey: Buffer } {
  const run = randomUUID().slice(0, 8);
  return {
    port: 0,
    mongoUri: `${MONGO_BASE}/test-${name}-${run}`,
    kafkaBrokers: BROKERS,
    principalKey: subgraphKey(SECRET, name),
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    outboxPollMs: 300,
    groupId: `test.${name}.${run}`,
    sealKey: SEAL_KEY,
    ...overrides,
  };
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string; reason?: string } }[];
}

const subgraphNames = new Map<string, Promise<string>>();

/** Which subgraph answers at a URL, as its GET /health says (cached per URL). */
export function subgraphAt(url: string): Promise<string> {
  let name = subgraphNames.get(url);
  if (!name) {
    name = fetch(new URL('/health', url))
      .then((res) => res.json() as Promise<{ service?: string | null }>)
      .then((body) => body.service ?? '');
    subgraphNames.set(url, name);
  }
  return name;
}

/** The principal headers the gateway would send to the subgraph at `url` for this operation. */
export async function signedFor(
  url: string,
  principal: Principal,
  query: string,
  variables: Record<string, unknown> = {},
  options: { clientAddress?: string | null; now?: number } = {},
): Promise<Record<string, string>> {
  const subgraph = await subgraphAt(url);
  return signPrincipal(principal, subgraphKey(SECRET, subgraph), { subgraph, query, variables }, options);
}

/** A caller of one GraphQL endpoint (the gateway) as the holder of a bearer token. */
export function bearerCaller(url: string) {
  return <T>(query: string, variables: Record<string, unknown>, bearer: string) =>
    graphql<T>(url, query, variables, { authorization: `Bearer ${bearer}` });
}

/** The data of a response that must have no errors (the errors are the failure's message). */
export function okData<T>(res: GraphQLResponse<T>): T {
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** The first error's extensions.reason (the stable domain code), if any. */
export const reasonOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.reason;
/** The first error's extensions.code, if any. */
export const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.code;

/** POSTs a GraphQL operation; `auth` is a principal to sign as the gateway would, or raw headers. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  auth: Principal | Record<string, string> | null = null,
  extraHeaders: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth && 'kind' in auth && 'roles' in auth)
    Object.assign(headers, await signedFor(url, auth as Principal, query, variables));
  else if (auth) Object.assign(headers, auth);
  Object.assign(headers, extraHeaders);
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: res.status, ...body };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

export const kafka = new Kafka({ clientId: 'concierge-tests', brokers: BROKERS, logLevel: logLevel.NOTHING });

/** Reads a topic from the beginning into `messages` until stopped; creates the catalogue's topics if need be. */
export async function readTopic(topic: string) {
  const contracts = new EventContracts();
  await ensureTopics(kafka, contracts);
  // Messages from the moment of the call on: a development broker keeps every earlier run's
  // history, and reading it from the beginning can outlast a test's patience.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  // Short idle fetches: stopping a reader waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId: `test.reader.${randomUUID()}`, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
    },
  });
  for (const { partition, high } of ends) consumer.seek({ topic, partition, offset: high });
  return {
    messages,
    /** The parsed JSON values; messages that are not JSON (dead-letter tests put some there) are skipped. */
    values: () =>
      messages.flatMap((m) => {
        try {
          return [JSON.parse(m.value?.toString('utf8') ?? 'null') as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    stop: () => consumer.disconnect(),
  };
}

/** Stops or starts the local broker with the project's infra scripts. */
export function broker(action: 'stop' | 'start'): void {
  const script = action === 'stop' ? 'stop.sh' : 'start.sh';
  execFileSync('bash', [join(ROOT, 'infra', script), ...(action === 'stop' ? ['kafka'] : [])], {
    stdio: 'ignore',
    env: { ...process.env, CONCIERGE_PROFILE: 'test' },
    timeout: 180_000,
  });
}

/** Drops the given test databases. */
export async function dropDatabases(names: string[]): Promise<void> {
  const client = await new MongoClient(MONGO_BASE).connect();
  try {
    for (const name of names) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Credential settings a users-service test may shorten (milliseconds), e.g. to see a lock expire. */
export interface CredentialOverrides {
  setPasswordTtlMs?: number;
  lockoutAttempts?: number;
  lockoutAccountAttempts?: number;
  lockoutMs?: number;
  refreshTokenTtlMs?: number;
}

/** A users-service config for tests: fresh database, a fast lifecycle scheduler, the default credential policy. */
export function usersConfig(
  overrides: Partial<ServiceConfig> & { schedulerIntervalMs?: number } & CredentialOverrides = {},
) {
  return {
    ...serviceConfig('users', overrides),
    tokenIssuer: 'concierge-users',
    accessTokenTtlS: 300,
    schedulerIntervalMs: overrides.schedulerIntervalMs ?? 300,
    setPasswordTtlMs: overrides.setPasswordTtlMs ?? 72 * 3_600_000,
    lockoutAttempts: overrides.lockoutAttempts ?? 5,
    lockoutAccountAttempts: overrides.lockoutAccountAttempts ?? 50,
    lockoutMs: overrides.lockoutMs ?? 15 * 60_000,
    refreshTokenTtlMs: overrides.refreshTokenTtlMs ?? 30 * 86_400_000,
  };
}

const CREATE_ORG = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`;

/** Creates an organisation through the graph (as an administrator) and returns its id. */
export async function createOrg(
  url: string,
  input: Record<string, unknown> = {},
  auth: Principal | Record<string, string> = ADMIN,
): Promise<string> {
  const res = await graphql<{ createOrganization: { id: string } }>(
    url,
    CREATE_ORG,
    {
      input: { code: `ORG-${randomUUID().slice(0, 8)}`, name: 'Test unit', kind: 'BUSINESS_UNIT', ...input },
    },
    auth,
  );
  if (!res.data) throw new Error(`createOrganization failed: ${JSON.stringify(res.errors)}`);
  return res.data.createOrganization.id;
}

/**
 * Commits a fresh consumer group's offsets at the end of `topics` (default: every topic of the
 * catalogue), so that a service started with it handles only this test file's messages, not the
 * history earlier runs left on a development broker. One member joins once and commits them all
 * (admin.setOffsets costs seconds per topic).
 */
export async function startAtEnd(groupId: string, topics?: string[]): Promise<void> {
  const contracts = new EventContracts();
  await ensureTopics(kafka, contracts);
  const wanted = topics ?? Object.keys(contracts.catalogue.topics);
  const admin = kafka.admin();
  await admin.connect();
  const ends = await Promise.all(
    wanted.map(async (topic) =>
      (await admin.fetchTopicOffsets(topic)).map((o) => ({ topic, partition: o.partition, offset: o.high })),
    ),
  );
  await admin.disconnect();
  const member = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  try {
    await member.connect();
    const joined = new Promise((resolve) => member.on(member.events.GROUP_JOIN, resolve));
    await member.subscribe({ topics: wanted });
    await member.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    await member.commitOffsets(ends.flat());
  } finally {
    await member.disconnect();
  }
}
