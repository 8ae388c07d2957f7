import { Kafka, logLevel, type Admin, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';
import type { EventContracts } from './contracts';
import { kafkajsSecurity, type KafkaSecurity } from './kafka-security';

// Re-exported here so that the kit's index (which exports this module) carries them.
export {
  kafkaSecurityEnv,
  kafkaSecurityOf,
  kafkajsSecurity,
  RedactedSecret,
  type KafkaSecurity,
  type SaslMechanism,
} from './kafka-security';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through our pino logger, one child per kafkajs namespace. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...rest } = log;
      logger[LEVELS[level] ?? 'info']({ component: 'kafka', namespace, ...rest }, message);
    };
}

/**
 * One kafkajs client per process. `security` (TLS, SASL: kit config loadKafkaSecurity) is what
 * every client of the process uses; absent, a plaintext broker without authentication.
 */
export function createKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  security?: KafkaSecurity,
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...kafkajsSecurity(security),
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000 },
  });
}

/**
 * Creates the given topics (by default every topic of the catalogue) that do not exist yet, then
 * waits until every partition of each answers from its leader. Brokers do not auto-create topics;
 * right after a broker's first start a topic can exist and still answer "not the leader for that
 * topic-partition" (kafkajs issue 1008), so existence alone is not enough. Safe to call from many
 * processes at once.
 */
export async function ensureTopics(
  kafka: Kafka,
  contracts: EventContracts,
  topics: string[] = Object.keys(contracts.catalogue.topics),
  timeoutMs = 60_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = [...new Set(topics)];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: contracts.partitionsOf(topic),
            replicationFactor: 1,
          })),
        });
      } catch (err) {
        // Another process created them between listTopics and createTopics.
        if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
      }
    }
    await waitForLeaders(admin, wanted, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until a ListOffsets request, which only a partition's leader answers, succeeds for every topic. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = topics;
  for (;;) {
    const failed: string[] = [];
    let last: unknown;
    for (const topic of pending) {
      await admin.fetchTopicOffsets(topic).catch((err: unknown) => {
        failed.push(topic);
        last = err;
      });
    }
    if (failed.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `topics without a leader after ${timeoutMs} ms: ${failed.join(', ')} (${String(last)})`,
      );
    }
    pending = failed;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Answers "is the broker reachable?" for /ready with a metadata request, at most every two
 * seconds and never waiting longer than two seconds for the answer. It has a client of its own
 * without retries: a probe must fail fast, and one that is abandoned must not reconnect later.
 */
export class KafkaHealth {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;
  private last = { at: 0, ok: false };

  constructor(clientId: string, brokers: string[], security?: KafkaSecurity) {
    this.kafka = new Kafka({
      clientId: `${clientId}-health`,
      brokers,
      ...kafkajsSecurity(security),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_500,
      retry: { retries: 0 },
    });
  }

  async check(): Promise<boolean> {
    if (Date.now() - this.last.at < 2_000) return this.last.ok;
    let ok = false;
    try {
      ok = await withTimeout(this.probe(), 2_000);
    } catch {
      await this.close();
    }
    this.last = { at: Date.now(), ok };
    return ok;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  private async probe(): Promise<boolean> {
    const admin = (this.admin ??= this.kafka.admin({ retry: { retries: 0 } }));
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // Abandoned meanwhile (timed out, or closed): do not keep the connection.
      if (this.admin !== admin) await admin.disconnect();
      return cluster.brokers.length > 0;
    } catch (err) {
      if (this.admin === admin) this.admin = null;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
