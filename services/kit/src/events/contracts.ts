import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { EventEnvelope } from './envelope';

/** schema/events at the repository root; the same depth from src/events and dist/events. */
export const EVENT_SCHEMA_DIR = resolve(__dirname, '../../../../schema/events');

/** The event does not match its contract; never retried, it goes to the dead-letter topic. */
export class EventContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventContractError';
  }
}

interface TopicSpec {
  partitions: number;
  prefixes: string[];
}
interface Catalogue {
  topics: Record<string, TopicSpec>;
  deadLetterTopic: string;
}

/** Event schemas and the topic catalogue, loaded once per process. */
export class EventContracts {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly envelope: ValidateFunction;
  readonly catalogue: Catalogue;

  constructor(dir = EVENT_SCHEMA_DIR) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    for (const file of readdirSync(dir).filter((f) => /\.v\d+\.json$/.test(f))) {
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { $id: string };
      ajv.addSchema(schema);
      this.validators.set(schema.$id, ajv.getSchema(schema.$id) as ValidateFunction);
    }
    this.envelope = this.validators.get('concierge:envelope/v1') as ValidateFunction;
    this.catalogue = JSON.parse(readFileSync(join(dir, 'topics.json'), 'utf8')) as Catalogue;
  }

  /** Checks an envelope and its data against their schemas; throws EventContractError naming the fault. */
  validate(candidate: unknown): asserts candidate is EventEnvelope {
    if (!this.envelope(candidate)) {
      throw new EventContractError(`envelope: ${describe(this.envelope)}`);
    }
    const event = candidate as EventEnvelope;
    const validator = this.validators.get(event.dataschema);
    if (!validator) throw new EventContractError(`unknown dataschema ${event.dataschema}`);
    if (!event.dataschema.startsWith(`concierge:${event.type}/`)) {
      throw new EventContractError(`dataschema ${event.dataschema} does not belong to type ${event.type}`);
    }
    if (!validator(event.data)) throw new EventContractError(`data: ${describe(validator)}`);
  }

  /** Every event type with a data schema (any version), sorted; the envelope is not an event type. */
  knownTypes(): string[] {
    const types = [...this.validators.keys()]
      .map((id) => /^concierge:(.+)\/v\d+$/.exec(id)?.[1])
      .filter((type): type is string => type !== undefined && type !== 'envelope');
    return [...new Set(types)].sort();
  }

  /** The topic that carries an event type. */
  topicFor(type: string): string {
    for (const [topic, spec] of Object.entries(this.catalogue.topics)) {
      if (spec.prefixes.some((p) => type.startsWith(p))) return topic;
    }
    throw new EventContractError(`no topic carries event type ${type}`);
  }

  get deadLetterTopic(): string {
    return this.catalogue.deadLetterTopic;
  }

  partitionsOf(topic: string): number {
    return this.catalogue.topics[topic]?.partitions ?? 1;
  }
}

function describe(validator: ValidateFunction): string {
  return (validator.errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
