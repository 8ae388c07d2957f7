import { z } from 'zod';
import { loadServiceConfig, type ServiceConfig } from '@concierge/kit';

const scheduler = {
  /** How often the scheduler looks for reminders, deadlines and grant dates that fell due. */
  ACCESS_REQUESTS_SCHEDULER_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
};

export interface AccessRequestsConfig extends ServiceConfig {
  schedulerIntervalMs: number;
}

/** Reads and validates the access-requests service's environment (ACCESS_REQUESTS_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): AccessRequestsConfig {
  const { service, extra } = loadServiceConfig(
    'ACCESS_REQUESTS',
    { port: 4002, database: 'concierge-access-requests' },
    env,
    scheduler,
  );
  return { ...service, schedulerIntervalMs: extra.ACCESS_REQUESTS_SCHEDULER_INTERVAL_MS };
}
