import { z } from 'zod';
import { parseSealKey } from './crypto/sealed-box';
import { kafkaSecurityEnv, kafkaSecurityOf, type KafkaSecurity } from './events/kafka-security';
import { subgraphKey } from './principal';
import type { MongoServerSetting } from './storage/server';

/** Thrown when the environment does not satisfy a config schema; names every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables with a zod object schema whose keys are the variable names.
 * Every problem is reported at once, each naming its variable.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // The variable is the first path segment; deeper segments point inside a parsed value (a list item).
    const name = String(issue.path[0] ?? '(environment)');
    const value = env[name];
    const what = value === undefined ? 'is missing' : 'is malformed';
    return `${name} ${what}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** A TCP port; 0 asks the system for a free one (tests). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A comma-separated list of host:port pairs. */
export const brokerList = z
  .string()
  .default('127.0.0.1:9092')
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1));

export const mongoUri = z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// URI');

/** A shared secret: no default, at least 32 characters. */
export const secret = z.string().min(32, 'must be at least 32 characters');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Positive millisecond duration. */
export const millis = (fallback: number) => z.coerce.number().int().positive().default(fallback);

// Days, hours, minutes and seconds only: years and months have no fixed length.
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/**
 * Parses an ISO 8601 duration of the form PnDTnHnMnS (e.g. PT72H, P30D, PT15M, PT0.5S) into
 * milliseconds, taking a day as 24 hours. Throws on anything else, including years and months.
 */
export function parseIsoDuration(text: string): number {
  const match = ISO_DURATION.exec(text);
  // "P" and "PT" match the pattern with no component; a trailing "T" means a missing time part.
  if (!match || text === 'P' || text.endsWith('T')) {
    throw new Error(`"${text.slice(0, 40)}" is not an ISO 8601 duration such as PT15M, PT72H or P30D`);
  }
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
}

/** A positive ISO 8601 duration (PnDTnHnMnS), parsed to milliseconds. */
export const isoDuration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        const ms = parseIsoDuration(text.trim());
        if (ms > 0) return ms;
        ctx.addIssue({ code: 'custom', message: 'must be longer than zero' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
      return z.NEVER;
    });

/**
 * A 32-byte key given as base64url (CONCIERGE_SEAL_KEY): required, no default. The value is a
 * secret, so problems never echo it.
 */
export const sealKey = z
  .string({ error: 'required: 32 random bytes as base64url' })
  .transform((text, ctx) => {
    try {
      return parseSealKey(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** A subgraph's principal key: 32 bytes as base64url, as `npm run principal-key` prints it. */
const principalKey = z.string().transform((text, ctx) => {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length === 32 && bytes.toString('base64url') === text) return bytes;
  ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as base64url (43 characters)' });
  return z.NEVER;
});

/** Settings every subgraph service shares; each service adds its own prefix-specific ones. */
export const serviceEnv = {
  KAFKA_BROKERS: brokerList,
  /** The gateway's secret; a subgraph derives its own key from it unless <PREFIX>_PRINCIPAL_KEY is set. */
  GATEWAY_SIGNING_SECRET: secret.optional(),
  LOG_LEVEL: logLevel,
  OUTBOX_POLL_MS: millis(1000),
  /** Which server the *_MONGO_URI points at; `auto` asks its buildInfo (storage/server.ts). */
  MONGO_SERVER: z.enum(['auto', 'mongodb', 'ferretdb']).default('auto'),
  /** KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_* (events/kafka-security.ts). */
  ...kafkaSecurityEnv,
};

/** The Kafka security settings, or a ConfigError naming each problem (never the password). */
function kafkaSecurity(e: Parameters<typeof kafkaSecurityOf>[0]): KafkaSecurity {
  const { security, problems } = kafkaSecurityOf(e);
  if (problems.length > 0) throw new ConfigError(problems);
  return security;
}

/**
 * Kafka TLS and SASL from the environment, for a process that is not a subgraph but has a
 * kafkajs client (the gateway, commands): pass the result to createKafka.
 */
export function loadKafkaSecurity(env: Record<string, string | undefined> = process.env): KafkaSecurity {
  return kafkaSecurity(parseEnv(z.object(kafkaSecurityEnv), env));
}

/** Where a subgraph listens and which database it owns, when the environment does not say. */
export interface ServiceDefaults {
  port: number;
  database: string;
}

/**
 * Parses the settings every subgraph shares plus its own `<PREFIX>_PORT`, `<PREFIX>_MONGO_URI` and
 * `<PREFIX>_CONSUMER_GROUP`; `extra` adds service-specific variables, returned parsed as `extra`.
 */
export function loadServiceConfig<E extends z.ZodRawShape = Record<never, never>>(
  prefix: string,
  defaults: ServiceDefaults,
  env: Record<string, string | undefined> = process.env,
  extra?: E,
): { service: ServiceConfigShape; extra: z.infer<z.ZodObject<E>> } {
  const names = {
    port: `${prefix}_PORT`,
    mongo: `${prefix}_MONGO_URI`,
    group: `${prefix}_CONSUMER_GROUP`,
    key: `${prefix}_PRINCIPAL_KEY`,
  };
  const subgraph = prefix.toLowerCase().replace(/_/g, '-');
  const schema = z.object({
    ...serviceEnv,
    [names.key]: principalKey.optional(),
    [names.port]: port(defaults.port),
    [names.mongo]: mongoUri.default(`mongodb://127.0.0.1:27017/${defaults.database}`),
    [names.group]: z.string().min(1).optional(),
    ...(extra ?? {}),
  });
  const e = parseEnv(schema, env) as Record<string, unknown>;
  const security = kafkaSecurity(e as Parameters<typeof kafkaSecurityOf>[0]);
  const group = e[names.group] as string | undefined;
  const secretValue = e.GATEWAY_SIGNING_SECRET as string | undefined;
  const key = (e[names.key] as Buffer | undefined) ?? (secretValue && subgraphKey(secretValue, subgraph));
  if (!key)
    throw new ConfigError([
      `${names.key} is missing: the key the gateway signs this subgraph's calls with ` +
        `(npm run principal-key -w gateway -- ${subgraph}), or GATEWAY_SIGNING_SECRET to derive it`,
    ]);
  return {
    service: {
      port: e[names.port] as number,
      mongoUri: e[names.mongo] as string,
      kafkaBrokers: e.KAFKA_BROKERS as string[],
      kafkaSecurity: security,
      principalKey: key,
      logLevel: e.LOG_LEVEL as string,
      outboxPollMs: e.OUTBOX_POLL_MS as number,
      mongoServer: e.MONGO_SERVER as MongoServerSetting,
      ...(group ? { groupId: group } : {}),
    },
    extra: e as z.infer<z.ZodObject<E>>,
  };
}

/** What every subgraph process is configured with; service.ts exports it as ServiceConfig. */
export interface ServiceConfigShape {
  port: number;
  mongoUri: string;
  kafkaBrokers: string[];
  /** TLS and SASL to the brokers; absent: plaintext, no authentication. */
  kafkaSecurity?: KafkaSecurity;
  /** This subgraph's key for the gateway's principal signatures (principal.ts subgraphKey). */
  principalKey: Buffer;
  logLevel: string;
  outboxPollMs: number;
  /** Absent: `auto`. */
  mongoServer?: MongoServerSetting;
  groupId?: string;
}
