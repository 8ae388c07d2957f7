import { z } from 'zod';
import { loadServiceConfig, mongoUri, parseEnv, type ServiceConfig } from '@concierge/kit';

const DATABASE = 'concierge-users';
const token = {
  /** Issuer of the access tokens this service signs and the gateway verifies. */
  USERS_TOKEN_ISSUER: z.string().default('concierge-users'),
  USERS_ACCESS_TOKEN_TTL_S: z.coerce.number().int().positive().default(900),
};
const scheduler = {
  /** How often the lifecycle scheduler looks for start and end dates that fell due. */
  USERS_SCHEDULER_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
};

export interface UsersConfig extends ServiceConfig {
  tokenIssuer: string;
  accessTokenTtlS: number;
  schedulerIntervalMs: number;
}

/** Reads and validates the users service's environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const { service, extra } = loadServiceConfig('USERS', { port: 4001, database: DATABASE }, env, {
    ...token,
    ...scheduler,
  });
  return {
    ...service,
    tokenIssuer: extra.USERS_TOKEN_ISSUER,
    accessTokenTtlS: extra.USERS_ACCESS_TOKEN_TTL_S,
    schedulerIntervalMs: extra.USERS_SCHEDULER_INTERVAL_MS,
  };
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
