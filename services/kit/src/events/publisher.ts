import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../logger';
import type { EventContracts } from './contracts';
import type { EventEnvelope } from './envelope';

/**
 * Sends events to their topics, keyed by subject. A failed send drops the producer so the next
 * call starts from a fresh connection (kafkajs issues 919 and 1686: producers that keep failing
 * after a broker bounce).
 */
export class EventPublisher {
  private producer: Promise<Producer> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly contracts: EventContracts,
    private readonly logger: Logger,
  ) {}

  /** Throws EventContractError when the event breaks its contract or no topic carries it. */
  check(event: EventEnvelope): void {
    this.contracts.validate(event);
    this.contracts.topicFor(event.type);
  }

  /**
   * Validates every event against its contract, then sends them all (acks from all replicas).
   * `validated`: the caller made these events in this process and validated them then (an import's
   * hundreds of thousands of events are not checked twice).
   */
  async publish(events: EventEnvelope[], options: { validated?: boolean } = {}): Promise<void> {
    if (events.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const event of events) {
      if (!options.validated) this.contracts.validate(event);
      const topic = this.contracts.topicFor(event.type);
      const messages = byTopic.get(topic) ?? [];
      messages.push({
        key: event.subject,
        value: JSON.stringify(event),
        headers: { 'ce-id': event.id, 'ce-type': event.type, 'correlation-id': event.correlationid },
      });
      byTopic.set(topic, messages);
    }
    await this.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }

  /** Sends raw messages (the dead-letter path, which must not re-validate what failed validation). */
  async send(topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    try {
      const producer = await this.connected();
      await producer.sendBatch({ topicMessages, acks: -1, timeout: 10_000 });
    } catch (err) {
      await this.reset();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        retry: { retries: 2 },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    return this.producer;
  }

  private async reset(): Promise<void> {
    const current = this.producer;
    this.producer = null;
    if (!current) return;
    try {
      await (await current).disconnect();
    } catch (err) {
      this.logger.debug({ err }, 'producer disconnect after failure');
    }
  }
}
