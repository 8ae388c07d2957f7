import { z } from 'zod';
import {
  brokerList,
  isoDuration,
  loadKafkaSecurity,
  loadServiceConfig,
  logLevel,
  mongoUri,
  parseEnv,
  sealKey,
  type ServiceConfig,
  MAX_ACCESS_TOKEN_TTL_S,
} from '@concierge/kit';

const DATABASE = 'concierge-users';
const token = {
  /** Issuer of the access tokens this service signs and the gateway verifies. */
  USERS_TOKEN_ISSUER: z.string().default('concierge-users'),
  USERS_ACCESS_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .positive()
    .max(
      MAX_ACCESS_TOKEN_TTL_S,
      `at most ${MAX_ACCESS_TOKEN_TTL_S} s: a token cannot be recalled before it expires`,
    )
    .default(900),
};
const setPassword = {
  /** How long a one-time set-password link stays valid (ISO 8601 duration). */
  USERS_SET_PASSWORD_TTL: isoDuration('PT72H'),
};
const credentials = {
  ...setPassword,
  /** The wrong password from one address that reaches this count locks that address out of the account. */
  USERS_LOCKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** Wrong passwords from all addresses within a lock's duration that guard the account against unknown addresses. */
  USERS_LOCKOUT_ACCOUNT_ATTEMPTS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** How long a lock lasts (ISO 8601 duration). */
  USERS_LOCKOUT_DURATION: isoDuration('PT15M'),
  /** Lifetime of a sign-in's refresh tokens (ISO 8601 duration); rotation does not extend it. */
  USERS_REFRESH_TOKEN_TTL: isoDuration('P30D'),
  /** Seals set-password tokens for the notifications service, which holds the same key. */
  CONCIERGE_SEAL_KEY: sealKey,
};
/** Rotation interval of the access-token signing key when USERS_SIGNING_KEY_ROTATION_DAYS is unset. */
export const DEFAULT_SIGNING_KEY_ROTATION_DAYS = 30;
const signingKeys = {
  /** Days after which the running service rotates the access-token signing key; 0 never does. */
  USERS_SIGNING_KEY_ROTATION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3650)
    .default(DEFAULT_SIGNING_KEY_ROTATION_DAYS),
};
const scheduler = {
  /** How often the lifecycle scheduler looks for start and end dates that fell due. */
  USERS_SCHEDULER_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
};

export interface UsersConfig extends ServiceConfig {
  tokenIssuer: string;
  accessTokenTtlS: number;
  schedulerIntervalMs: number;
  setPasswordTtlMs: number;
  lockoutAttempts: number;
  /** Absent: 50. */
  lockoutAccountAttempts?: number;
  lockoutMs: number;
  refreshTokenTtlMs: number;
  /** 32-byte key shared with the notifications service (CONCIERGE_SEAL_KEY); also seals the signing keys. */
  sealKey: Buffer;
  /** USERS_SIGNING_KEY_ROTATION_DAYS; 0 never rotates on schedule, absent means the default. */
  signingKeyRotationDays?: number;
}

/** Reads and validates the users service's environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const { service, extra } = loadServiceConfig('USERS', { port: 4001, database: DATABASE }, env, {
    ...token,
    ...scheduler,
    ...credentials,
    ...signingKeys,
  });
  return {
    ...service,
    tokenIssuer: extra.USERS_TOKEN_ISSUER,
    accessTokenTtlS: extra.USERS_ACCESS_TOKEN_TTL_S,
    schedulerIntervalMs: extra.USERS_SCHEDULER_INTERVAL_MS,
    setPasswordTtlMs: extra.USERS_SET_PASSWORD_TTL,
    lockoutAttempts: extra.USERS_LOCKOUT_ATTEMPTS,
    lockoutAccountAttempts: extra.USERS_LOCKOUT_ACCOUNT_ATTEMPTS,
    lockoutMs: extra.USERS_LOCKOUT_DURATION,
    refreshTokenTtlMs: extra.USERS_REFRESH_TOKEN_TTL,
    sealKey: extra.CONCIERGE_SEAL_KEY,
    signingKeyRotationDays: extra.USERS_SIGNING_KEY_ROTATION_DAYS,
  };
}

/**
 * What opening the signing keys needs: the users database and the seal key their private halves
 * are sealed with (the token and rotate-signing-key commands).
 */
export function loadSigningKeyConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(
    z.object({
      USERS_MONGO_URI: mongoUri.default(`mongodb://127.0.0.1:27017/${DATABASE}`),
      CONCIERGE_SEAL_KEY: sealKey,
    }),
    env,
  );
  return { mongoUri: e.USERS_MONGO_URI, sealKey: e.CONCIERGE_SEAL_KEY };
}

/** What the token command needs: the database holding the signing key, and the token settings. */
export function loadTokenConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(
    z.object({ USERS_MONGO_URI: mongoUri.default(`mongodb://127.0.0.1:27017/${DATABASE}`), ...token }),
    env,
  );
  return {
    mongoUri: e.USERS_MONGO_URI,
    tokenIssuer: e.USERS_TOKEN_ISSUER,
    accessTokenTtlS: e.USERS_ACCESS_TOKEN_TTL_S,
  };
}

/**
 * What the import command needs: the users database, the broker for its events, the set-password
 * settings for users it creates ACTIVE, where it was run from.
 */
export function loadImportConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(
    z.object({
      USERS_MONGO_URI: mongoUri.default(`mongodb://127.0.0.1:27017/${DATABASE}`),
      KAFKA_BROKERS: brokerList,
      LOG_LEVEL: logLevel.default('warn'),
      ...setPassword,
      CONCIERGE_SEAL_KEY: sealKey,
      // npm runs scripts from the project root; relative file names are meant from the caller's directory.
      INIT_CWD: z.string().optional(),
    }),
    env,
  );
  return {
    mongoUri: e.USERS_MONGO_URI,
    kafkaBrokers: e.KAFKA_BROKERS as string[],
    kafkaSecurity: loadKafkaSecurity(env),
    logLevel: e.LOG_LEVEL,
    setPasswordTtlMs: e.USERS_SET_PASSWORD_TTL,
    sealKey: e.CONCIERGE_SEAL_KEY,
    invokedFrom: e.INIT_CWD ?? process.cwd(),
  };
}

/**
 * What the bootstrap-admin command needs: the users database and the set-password lifetime. It
 * hands the token to its operator on stdout, so it needs no seal key.
 */
export function loadBootstrapConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(
    z.object({ USERS_MONGO_URI: mongoUri.default(`mongodb://127.0.0.1:27017/${DATABASE}`), ...setPassword }),
    env,
  );
  return { mongoUri: e.USERS_MONGO_URI, setPasswordTtlMs: e.USERS_SET_PASSWORD_TTL };
}
