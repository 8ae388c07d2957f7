import { z } from 'zod';
import { mongoUri, parseEnv, port, serviceEnv, type ServiceConfig } from '@concierge/kit';

const schema = z.object({
  ...serviceEnv,
  ACCESS_REQUESTS_PORT: port(4002),
  ACCESS_REQUESTS_MONGO_URI: mongoUri.default('mongodb://127.0.0.1:27017/concierge-access-requests'),
});

/** Reads and validates the access-requests service's environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const e = parseEnv(schema, env);
  return {
    port: e.ACCESS_REQUESTS_PORT,
    mongoUri: e.ACCESS_REQUESTS_MONGO_URI,
    kafkaBrokers: e.KAFKA_BROKERS,
    gatewaySigningSecret: e.GATEWAY_SIGNING_SECRET,
    logLevel: e.LOG_LEVEL,
    outboxPollMs: e.OUTBOX_POLL_MS,
  };
}
