import { z } from 'zod';
import { mongoUri, parseEnv, port, serviceEnv, type ServiceConfig } from '@concierge/kit';

const schema = z.object({
  ...serviceEnv,
  NOTIFICATIONS_PORT: port(4004),
  NOTIFICATIONS_MONGO_URI: mongoUri.default('mongodb://127.0.0.1:27017/concierge-notifications'),
  NOTIFICATIONS_CONSUMER_GROUP: z.string().default('concierge.notifications'),
});

/** Reads and validates the notifications service's environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const e = parseEnv(schema, env);
  return {
    port: e.NOTIFICATIONS_PORT,
    mongoUri: e.NOTIFICATIONS_MONGO_URI,
    kafkaBrokers: e.KAFKA_BROKERS,
    gatewaySigningSecret: e.GATEWAY_SIGNING_SECRET,
    logLevel: e.LOG_LEVEL,
    outboxPollMs: e.OUTBOX_POLL_MS,
    groupId: e.NOTIFICATIONS_CONSUMER_GROUP,
  };
}
