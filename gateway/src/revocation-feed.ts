import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@concierge/kit';

/** The topics whose events can end a user's access: lifecycle and credential changes. */
export const REVOCATION_TOPICS = ['concierge.user.v1', 'concierge.credential.v1'];

/**
 * Drops the gateway's cached session answers of a user whenever an event about them arrives
 * (the message key is the user id). Every gateway instance reads every event, so it uses a group
 * of its own, from the newest offset: what happened before it started is not in its cache.
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
      eachMessage: async ({ message }) => {
        const userId = message.key?.toString();
        if (userId) this.evict(userId);
      },
    });
    this.logger.info({ topics: REVOCATION_TOPICS }, 'revocation feed running');
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
