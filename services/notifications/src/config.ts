import { loadServiceConfig, sealKey, type ServiceConfig } from '@concierge/kit';

export interface NotificationsConfig extends ServiceConfig {
  /** Opens the set-password tokens the users service seals (CONCIERGE_SEAL_KEY, shared with it). */
  sealKey: Buffer;
}

/** Reads and validates the notifications service's environment (NOTIFICATIONS_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): NotificationsConfig {
  const { service, extra } = loadServiceConfig(
    'NOTIFICATIONS',
    { port: 4004, database: 'concierge-notifications' },
    env,
    { CONCIERGE_SEAL_KEY: sealKey },
  );
  return { ...service, sealKey: extra.CONCIERGE_SEAL_KEY };
}
