import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { Logger } from '../logger';
import { insertAllNew, mapBounded } from '../storage/batch';
import { EventContractError, type EventContracts } from './contracts';
import type { EventEnvelope } from './envelope';
import type { EventPublisher } from './publisher';
import { DEFAULT_RETRY, nextDelay, sleep, type RetryPolicy } from './retry';

export interface HandlerContext {
  logger: Logger;
}

/**
 * Handles one event. Effects must tolerate a repeat (kafkajs may redeliver after a rebalance).
 * A handler with a `batch` form (see batchedHandler) is given a chunk's events at once.
 */
export interface EventHandler {
  (event: EventEnvelope, context: HandlerContext): Promise<void>;
  readonly batch?: BatchHandler;
}

/**
 * Handles many events at once, in no particular order. Its effect must be keyed by the event id
 * (an insert whose unique key comes from the event), so that a repeat adds nothing: the consumer
 * neither checks these events for repeats nor records them as processed.
 */
export type BatchHandler = (events: EventEnvelope[], context: HandlerContext) => Promise<void>;

/**
 * A handler that takes a whole chunk at once: one write for up to 200 events instead of a
 * duplicate check and a write per event. The single form runs the batch form on one event; a
 * failing batch is retried event by event, so one bad event is dead-lettered alone.
 */
export function batchedHandler(batch: BatchHandler): EventHandler {
  return Object.assign((event: EventEnvelope, context: HandlerContext) => batch([event], context), { batch });
}

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
 * Throughput. Partitions are handled at once, and within a partition the events of different
 * keys (aggregates) at once; the events of one key stay in order. Each event costs a few round
 * trips to the database (the duplicate check, the handler's writes), so one at a time a group
 * handled about 100 events/s on FerretDB; handled together, their round trips overlap.
 */
const PARTITIONS_AT_ONCE = 3;
const KEYS_AT_ONCE = 8;
/** Messages handled between two offset commits and heartbeats. */
const CHUNK = 200;

interface Prepared {
  message: KafkaMessage;
  event: EventEnvelope;
  handler: EventHandler;
}

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
      // An idle fetch waits this long for data (data returns at once). Stopping waits for the
      // fetch in flight, so kafkajs's 5 s would hold every shutdown for up to 5 s.
      maxWaitTimeInMs: 1_000,
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
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
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

  /**
   * Handles a partition's batch in chunks: the events of batch handlers go to those at once; the
   * others are checked for a repeat, handled (each key's events in order, keys at once) and
   * recorded as processed. Only then are the chunk's offsets resolved. A crash before that record
   * means a repeat, which the handlers tolerate; never a loss.
   */
  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    for (let from = 0; from < batch.messages.length; from += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(from, from + CHUNK);
      const single: Prepared[] = [];
      const batched: Prepared[] = [];
      for (const message of chunk) {
        const ready = await this.prepare(batch.topic, batch.partition, message);
        if (ready) (ready.handler.batch ? batched : single).push(ready);
      }
      await Promise.all([
        this.runSingle(batch.topic, batch.partition, single, heartbeat),
        this.runBatched(batch.topic, batch.partition, batched, heartbeat),
      ]);
      for (const message of chunk) resolveOffset(message.offset);
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }

  /** Runs the events of plain handlers, skipping the ids processed before, and records them. */
  private async runSingle(
    topic: string,
    partition: number,
    prepared: Prepared[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    if (prepared.length === 0) return;
    const processed = this.options.db.collection<{ _id: string }>(PROCESSED);
    const seen = await mapBounded(prepared, KEYS_AT_ONCE, (p) =>
      processed.findOne({ _id: p.event.id }, { projection: { _id: 1 } }),
    );
    // A repeat within the chunk counts as seen too.
    const ids = new Set<string>();
    const fresh = prepared.filter((p, i) => {
      if (seen[i] || ids.has(p.event.id)) return false;
      ids.add(p.event.id);
      return true;
    });
    const byKey = groupBy(fresh, (p) => p.message.key?.toString('utf8') ?? p.event.id);
    // Dead-lettered events stay unrecorded, so that a replay of the dead letters is handled.
    const handled: Prepared[] = [];
    await mapBounded([...byKey.values()], KEYS_AT_ONCE, async (events) => {
      for (const p of events) {
        if (await this.run(topic, partition, p, heartbeat)) handled.push(p);
      }
    });
    const at = new Date();
    await insertAllNew(
      this.options.db.collection(PROCESSED),
      handled.map((p) => ({ _id: p.event.id, type: p.event.type, at })),
    );
  }

  /**
   * Runs the events of batch handlers: one call per handler with all its events of the chunk.
   * When that call fails, each event is run alone with the usual retries and dead letter.
   */
  private async runBatched(
    topic: string,
    partition: number,
    prepared: Prepared[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const byBatch = groupBy(prepared, (p) => p.handler.batch as BatchHandler);
    for (const [handle, group] of byBatch) {
      try {
        await handle(
          group.map((p) => p.event),
          { logger: this.logger },
        );
      } catch (err) {
        this.logger.warn(
          { err, events: group.length },
          'batch handling failed; handling its events one by one',
        );
        await mapBounded(group, KEYS_AT_ONCE, (p) => this.run(topic, partition, p, heartbeat));
      }
    }
  }

  /** The event and its handler; null when there is none, or when the message went to the dead letters. */
  private async prepare(topic: string, partition: number, message: KafkaMessage): Promise<Prepared | null> {
    let event: EventEnvelope;
    try {
      event = parse(message);
      this.options.contracts.validate(event);
    } catch (err) {
      await this.deadLetter(topic, partition, message, reasonOf(err), 0);
      return null;
    }
    const handler = this.options.handlers[event.type];
    if (!handler) return null; // another event type on the same aggregate topic
    return { message, event, handler };
  }

  /**
   * Runs one handler, retrying with backoff; a contract fault or exhausted retries dead-letter
   * the event. True when it was handled.
   */
  private async run(
    topic: string,
    partition: number,
    { message, event, handler }: Prepared,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const logger = this.logger.child({
      correlationId: event.correlationid,
      eventId: event.id,
      type: event.type,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, { logger });
        return true;
      } catch (err) {
        const delay = err instanceof EventContractError ? null : nextDelay(this.retry, attempt);
        if (delay === null) {
          logger.error({ err, attempt }, 'event handling failed; sending to the dead-letter topic');
          await this.deadLetter(topic, partition, message, reasonOf(err), attempt);
          return false;
        }
        logger.warn({ err, attempt, delay }, 'event handling failed; retrying');
        await sleep(delay);
        await heartbeat();
      }
    }
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

/** The items by key, each key's items in their order. */
function groupBy<K, T>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 1000);
}
