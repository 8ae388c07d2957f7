import { loadServiceConfig, type ServiceConfig } from '@concierge/kit';

/** Reads and validates the delegation service's environment (DELEGATION_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  return loadServiceConfig('DELEGATION', { port: 4003, database: 'concierge-delegation' }, env).service;
}
