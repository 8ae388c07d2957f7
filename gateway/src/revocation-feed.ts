import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@concierge/kit';

/**
 * The topics whose events change what a user may do: lifecycle and credential changes (keyed by
 * the user id) and admin role changes (keyed by the assignment; the user is in the data).
 */
export const REVOCATION_TOPICS = ['concierge.user.v1', 'concierge.credential.v1', 'concierge.admin.v1'];

/** The user an event is about: the message key, or on the admin topic the data's userId. */
function userOf(topic: string, message: KafkaMessage): string | null {
  if (topic !== 'concierge.admin.v1') return message.key?.toString() || null;
  try {
    const event = JSON.parse(message.value?.toString() ?? '') as { data?: { userId?: unknown } };
    return typeof event.data?.userId === 'string' ? event.data.userId : null;
  } catch {
    return null;
  }
}

/**
 * Drops the gateway's cached answers about a user whenever an event about them arrives. Every
 * gateway instance reads every event, so it uses a group of its own, from the newest offset: what
 * happened before it started is not in its cache.
 */
export class RevocationFeed {
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly evict: (userId: string) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `concierge.gateway.${randomUUID()}`,
      maxWaitTimeInMs: 100,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: REVOCATION_TOPICS, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const userId = userOf(topic, message);
        if (userId) this.evict(userId);
      },
    });
    this.logger.info({ topics: REVOCATION_TOPICS }, 'revocation feed running');
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
