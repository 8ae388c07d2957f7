import { z } from 'zod';

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

/** Settings every subgraph service shares; each service adds its own prefix-specific ones. */
export const serviceEnv = {
  KAFKA_BROKERS: brokerList,
  GATEWAY_SIGNING_SECRET: secret,
  LOG_LEVEL: logLevel,
  OUTBOX_POLL_MS: millis(1000),
};

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
  const names = { port: `${prefix}_PORT`, mongo: `${prefix}_MONGO_URI`, group: `${prefix}_CONSUMER_GROUP` };
  const schema = z.object({
    ...serviceEnv,
    [names.port]: port(defaults.port),
    [names.mongo]: mongoUri.default(`mongodb://127.0.0.1:27017/${defaults.database}`),
    [names.group]: z.string().min(1).optional(),
    ...(extra ?? {}),
  });
  const e = parseEnv(schema, env) as Record<string, unknown>;
  const group = e[names.group] as string | undefined;
  return {
    service: {
      port: e[names.port] as number,
      mongoUri: e[names.mongo] as string,
      kafkaBrokers: e.KAFKA_BROKERS as string[],
      gatewaySigningSecret: e.GATEWAY_SIGNING_SECRET as string,
      logLevel: e.LOG_LEVEL as string,
      outboxPollMs: e.OUTBOX_POLL_MS as number,
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
  gatewaySigningSecret: string;
  logLevel: string;
  outboxPollMs: number;
  groupId?: string;
}
