import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';
import type { EventContracts } from './contracts';

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

/** One kafkajs client per process. */
export function createKafka(clientId: string, brokers: string[], logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000 },
  });
}

/**
 * Creates the catalogue's topics that do not exist yet and waits for their leaders (brokers do
 * not auto-create topics; kafkajs issue 1008 is why leaders are awaited). Safe to call from many
 * processes at once.
 */
export async function ensureTopics(kafka: Kafka, contracts: EventContracts, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return;
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
    await admin.fetchTopicMetadata({ topics: missing });
  } finally {
    await admin.disconnect();
  }
}

/** Every topic of the catalogue, dead-letter topic included. */
export function allTopics(contracts: EventContracts): string[] {
  return Object.keys(contracts.catalogue.topics);
}
