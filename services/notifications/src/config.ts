import { loadServiceConfig, type ServiceConfig } from '@concierge/kit';

/** Reads and validates the notifications service's environment (NOTIFICATIONS_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  return loadServiceConfig('NOTIFICATIONS', { port: 4004, database: 'concierge-notifications' }, env).service;
}
