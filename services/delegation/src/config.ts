import { z } from 'zod';
import { loadServiceConfig, type ServiceConfig } from '@concierge/kit';

/** How often the expiry scheduler looks for delegations whose end date fell due, when unset. */
export const DEFAULT_SCHEDULER_INTERVAL_MS = 5_000;

const scheduler = {
  /** How often the expiry scheduler looks for delegations whose end date fell due. */
  DELEGATION_SCHEDULER_INTERVAL_MS: z.coerce.number().int().positive().default(DEFAULT_SCHEDULER_INTERVAL_MS),
};

export interface DelegationConfig extends ServiceConfig {
  schedulerIntervalMs: number;
}

/** Reads and validates the delegation service's environment (DELEGATION_* plus the shared settings). */
export function loadConfig(env: Record<string, string | undefined> = process.env): DelegationConfig {
  const { service, extra } = loadServiceConfig(
    'DELEGATION',
    { port: 4003, database: 'concierge-delegation' },
    env,
    scheduler,
  );
  return { ...service, schedulerIntervalMs: extra.DELEGATION_SCHEDULER_INTERVAL_MS };
}
