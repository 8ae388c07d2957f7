import { z } from 'zod';
import { mongoUri, parseEnv, port, serviceEnv, type ServiceConfig } from '@concierge/kit';

const tokenSchema = z.object({
  USERS_MONGO_URI: mongoUri.default('mongodb://127.0.0.1:27017/concierge-users'),
  /** Issuer of the access tokens this service signs and the gateway verifies. */
  USERS_TOKEN_ISSUER: z.string().default('concierge-users'),
  USERS_ACCESS_TOKEN_TTL_S: z.coerce.number().int().positive().default(900),
});
const schema = tokenSchema.extend({ ...serviceEnv, USERS_PORT: port(4001) });

/** What the token command needs: the database holding the signing key, and the token settings. */
export function loadTokenConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(tokenSchema, env);
  return {
    mongoUri: e.USERS_MONGO_URI,
    tokenIssuer: e.USERS_TOKEN_ISSUER,
    accessTokenTtlS: e.USERS_ACCESS_TOKEN_TTL_S,
  };
}

export interface UsersConfig extends ServiceConfig {
  tokenIssuer: string;
  accessTokenTtlS: number;
}

/** Reads and validates the users service's environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const e = parseEnv(schema, env);
  return {
    port: e.USERS_PORT,
    mongoUri: e.USERS_MONGO_URI,
    kafkaBrokers: e.KAFKA_BROKERS,
    gatewaySigningSecret: e.GATEWAY_SIGNING_SECRET,
    logLevel: e.LOG_LEVEL,
    outboxPollMs: e.OUTBOX_POLL_MS,
    tokenIssuer: e.USERS_TOKEN_ISSUER,
    accessTokenTtlS: e.USERS_ACCESS_TOKEN_TTL_S,
  };
}
