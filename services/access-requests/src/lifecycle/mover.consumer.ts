import { randomUUID } from 'node:crypto';
import type { EventContracts, HandlerMap, Logger } from '@concierge/kit';
import { rerouteRequestsOf } from '../requests/decide-request';
import type { AccessStores } from '../stores';

interface Placement {
  managerId: string | null;
}

/**
 * A mover's pending approvals follow their new manager: when user.moved changes the manager, the
 * open tasks that the old manager (or the manager's manager) held go to the new one. Runs after
 * the directory projection took the move in; a repeat finds nothing left to move.
 */
export function moverHandlers(deps: {
  contracts: EventContracts;
  stores: AccessStores;
  logger: Logger;
  onChange?: () => void;
}): HandlerMap {
  return {
    'user.moved': async (event) => {
      const data = event.data as { userId: string; before: Placement; after: Placement };
      if (data.before.managerId === data.after.managerId) return;
      const rerouted = await rerouteRequestsOf(data.userId, {
        ...deps.stores,
        contracts: deps.contracts,
        actor: 'system:mover',
        correlationId: event.correlationid || randomUUID(),
        now: new Date(),
        logger: deps.logger,
      });
      if (rerouted > 0) {
        deps.logger.info(
          { userId: data.userId, rerouted },
          "mover's open manager tasks sent to the new manager",
        );
        deps.onChange?.();
      }
    },
  };
}
