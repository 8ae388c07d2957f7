import { randomUUID } from 'node:crypto';
import type { EventContracts, HandlerMap, Logger } from '@concierge/kit';
import { expireRequestsOf } from '../requests/decide-request';
import type { AccessStores } from '../stores';
import { isLive } from '../grants/grant';
import { revokeGrant } from '../grants/grant-changes';

/**
 * A terminated user loses every grant (grant.revoked, cause TERMINATION) and their pending
 * requests expire (access-request.expired). Idempotent: what has ended stays ended.
 */
export function terminationHandlers(deps: {
  contracts: EventContracts;
  stores: AccessStores;
  logger: Logger;
  onChange?: () => void;
}): HandlerMap {
  return {
    'user.terminated': async (event) => {
      const userId = String(event.data.userId);
      const common = {
        contracts: deps.contracts,
        actor: 'system:leaver',
        correlationId: event.correlationid || randomUUID(),
        now: new Date(),
        logger: deps.logger,
      };
      let revoked = 0;
      for (const grant of (await deps.stores.grants.ofBeneficiaries([userId])).filter(isLive)) {
        const done = await revokeGrant(
          grant._id,
          'TERMINATION',
          'The user was terminated',
          { ...common, grants: deps.stores.grants },
          { quiet: true },
        );
        if (done) revoked++;
      }
      const expired = await expireRequestsOf(userId, { ...deps.stores, ...common });
      deps.logger.info(
        { userId, revoked, expired },
        'terminated user: grants revoked, pending requests expired',
      );
      deps.onChange?.();
    },
  };
}
