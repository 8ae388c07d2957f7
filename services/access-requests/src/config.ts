import { loadServiceConfig, type ServiceConfig } from '@concierge/kit';

/** Reads and validates the access-requests service's environment (ACCESS_REQUESTS_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  return loadServiceConfig('ACCESS_REQUESTS', { port: 4002, database: 'concierge-access-requests' }, env)
    .service;
}
