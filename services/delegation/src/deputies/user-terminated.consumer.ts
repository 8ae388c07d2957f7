import type { EventContracts, EventHandler } from '@concierge/kit';
import type { DelegationRepository } from './delegation.repository';
import { endLeaverDelegations } from './end-leaver-delegations';

export interface LeaverDeps {
  delegations: DelegationRepository;
  contracts: EventContracts;
}

/**
 * user.terminated → the leaver's delegations, given and received, end (a leaver neither approves
 * nor stands in). Runs after the projection has recorded the status (see server.ts), so a
 * creation that commits later sees TERMINATED. Idempotent: a repeat finds nothing live.
 */
export function onUserTerminated(deps: LeaverDeps): EventHandler {
  return async (event, { logger }) => {
    const { userId } = event.data as { userId: string };
    const count = await endLeaverDelegations(userId, { ...deps, correlationId: event.correlationid });
    if (count > 0) logger.info({ userId, ended: count }, "a leaver's delegations ended");
  };
}
