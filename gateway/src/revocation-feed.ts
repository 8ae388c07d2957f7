import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@concierge/kit';

/**
 * The topics whose events change what a caller may do: lifecycle and credential changes (keyed by
 * the user id), admin role changes (keyed by the assignment; the user is in the data) and API
 * token changes (keyed by the token).
 */
export const REVOCATION_TOPICS = ['concierge.user.v1', 'concierge.credential.v1', 'concierge.admin.v1'];

/**
 * What an event is about, for the caches: the message key (a user, or on the admin topic an
 * assignment or a token), and on the admin topic the user in the data.
 */
function idsOf(topic: string, message: KafkaMessage): string[] {
  const key = message.key?.toString() || null;
  const ids = key ? [key] : [];
  if (topic !== 'concierge.admin.v1') return ids;
  try {
    const event = JSON.parse(message.value?.toString() ?? '') as { data?: { userId?: unknown } };
    if (typeof event.data?.userId === 'string') ids.push(event.data.userId);
  } catch {
    // not JSON: the key is all there is
  }
  return ids;
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
    /** Forgets every cached answer about a user or a token. */
    private readonly evict: (id: string) => void,
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
        for (const id of idsOf(topic, message)) this.evict(id);
      },
    });
    this.logger.info({ topics: REVOCATION_TOPICS }, 'revocation feed running');
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
