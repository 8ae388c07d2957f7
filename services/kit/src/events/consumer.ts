import type { Consumer, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { Logger } from '../logger';
import { EventContractError, type EventContracts } from './contracts';
import type { EventEnvelope } from './envelope';
import type { EventPublisher } from './publisher';
import { DEFAULT_RETRY, nextDelay, sleep, type RetryPolicy } from './retry';

export interface HandlerContext {
  logger: Logger;
}

/** Handles one event. Effects must tolerate a repeat (kafkajs may redeliver after a rebalance). */
export type EventHandler = (event: EventEnvelope, context: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  kafka: Kafka;
  contracts: EventContracts;
  publisher: EventPublisher;
  /** The service database; processed event ids are kept in its `processed_events` collection. */
  db: Connection;
  groupId: string;
  /** Handlers by event type; the consumer subscribes to the topics that carry these types. */
  handlers: Record<string, EventHandler>;
  logger: Logger;
  retry?: RetryPolicy;
}

const PROCESSED = 'processed_events';

/**
 * An idempotent Kafka consumer: validates each event against its contract, skips event ids it
 * has processed before (persistently), retries failing handlers with backoff, and sends messages
 * that cannot be processed to the dead-letter topic with the reason, so they never block a partition.
 */
export class EventConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private joined = false;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: EventConsumerOptions) {
    this.logger = options.logger.child({ component: 'consumer', group: options.groupId });
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** True while the consumer is a member of its group. */
  get ready(): boolean {
    return this.joined;
  }

  get topics(): string[] {
    return [...new Set(Object.keys(this.options.handlers).map((t) => this.options.contracts.topicFor(t)))];
  }

  async start(): Promise<void> {
    this.stopping = false;
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 15_000,
      heartbeatInterval: 1_000,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.logger.info('joined group');
    });
    consumer.on(consumer.events.STOP, () => (this.joined = false));
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      const { error, restart } = e.payload;
      this.logger.error({ err: error, restart }, 'consumer crashed');
      // kafkajs restarts by itself on retriable errors; otherwise we restart it (kafkajs issues 267, 660).
      if (!restart && !this.stopping) void this.restart();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({ eachMessage: (payload) => this.handle(payload) });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.joined = false;
    const consumer = this.consumer;
    this.consumer = null;
    // disconnect() waits for the message in flight and commits the resolved offsets.
    await consumer?.disconnect();
  }

  private async restart(): Promise<void> {
    await this.stop().catch(() => undefined);
    await sleep(1_000);
    this.logger.warn('restarting consumer');
    await this.start().catch((err: unknown) => {
      this.logger.error({ err }, 'consumer restart failed; trying again');
      void this.restart();
    });
  }

  private async handle({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    let event: EventEnvelope;
    try {
      event = parse(message);
      this.options.contracts.validate(event);
    } catch (err) {
      await this.deadLetter(topic, partition, message, reasonOf(err), 0);
      return;
    }
    const handler = this.options.handlers[event.type];
    if (!handler) return; // another event type on the same aggregate topic
    const logger = this.logger.child({
      correlationId: event.correlationid,
      eventId: event.id,
      type: event.type,
    });
    const processed = this.options.db.collection<{ _id: string }>(PROCESSED);
    if (await processed.findOne({ _id: event.id }, { projection: { _id: 1 } })) {
      logger.debug('duplicate event skipped');
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, { logger });
        break;
      } catch (err) {
        const delay = err instanceof EventContractError ? null : nextDelay(this.retry, attempt);
        if (delay === null) {
          logger.error({ err, attempt }, 'event handling failed; sending to the dead-letter topic');
          await this.deadLetter(topic, partition, message, reasonOf(err), attempt);
          return;
        }
        logger.warn({ err, attempt, delay }, 'event handling failed; retrying');
        await sleep(delay);
        await heartbeat();
      }
    }
    await processed
      .insertOne({ _id: event.id, type: event.type, at: new Date() } as { _id: string })
      .catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
      });
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
    attempts: number,
  ): Promise<void> {
    this.logger.warn({ topic, partition, offset: message.offset, reason }, 'dead-lettering message');
    await this.options.publisher.send([
      {
        topic: this.options.contracts.deadLetterTopic,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...message.headers,
              'dlq-reason': reason,
              'dlq-group': this.options.groupId,
              'dlq-topic': topic,
              'dlq-partition': String(partition),
              'dlq-offset': message.offset,
              'dlq-attempts': String(attempts),
            },
          },
        ],
      },
    ]);
  }
}

function parse(message: KafkaMessage): EventEnvelope {
  if (!message.value) throw new EventContractError('empty message');
  try {
    return JSON.parse(message.value.toString('utf8')) as EventEnvelope;
  } catch (err) {
    throw new EventContractError(`not JSON: ${(err as Error).message}`);
  }
}

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 1000);
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
