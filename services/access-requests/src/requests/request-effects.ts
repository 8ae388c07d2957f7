import { randomUUID } from 'node:crypto';
import type { EventContracts, Logger } from '@concierge/kit';
import { createGrant, extendGrant, revokeGrant } from '../grants/grant-changes';
import type { GrantRepository } from '../grants/grant.repository';
import type { AccessRequest, RequestEffect } from './access-request';
import { pendingKey, type RequestRepository } from './request.repository';

export interface EffectDeps {
  contracts: EventContracts;
  grants: GrantRepository;
  requests: () => RequestRepository;
  logger: Logger;
}

/**
 * What follows a committed request version, run by the store after the write and again by heal
 * after a crash, so each is idempotent: the grant of an approved request (its id derives from the
 * request's), the extension of a grant (once per request), the revocation an approved removal
 * asks for, letting go of the pending key.
 */
export function requestEffects(deps: EffectDeps) {
  return async (effects: RequestEffect[], request: AccessRequest): Promise<void> => {
    const last = request.timeline.at(-1);
    const events = {
      contracts: deps.contracts,
      actor: last?.actor ?? 'system:access-requests',
      correlationId: request.correlationId ?? randomUUID(),
    };
    const now = new Date();
    for (const effect of effects) {
      if (effect.kind === 'RELEASE_PENDING') {
        await deps.requests().releasePending(pendingKey(request), request._id);
      } else if (effect.kind === 'EXTEND_GRANT') {
        await extendGrant(request.grantId as string, request._id, request.validTo, {
          ...events,
          grants: deps.grants,
          now,
          logger: deps.logger,
        });
      } else if (effect.kind === 'REVOKE_GRANT') {
        // Quiet: a grant that ended meanwhile (or on an earlier run of this effect) stays ended.
        await revokeGrant(
          request.grantId as string,
          'REQUEST',
          request.justification,
          { ...events, grants: deps.grants, logger: deps.logger, now },
          { quiet: true },
        );
      } else {
        const { heldBy } = await createGrant(
          {
            id: request.grantId as string,
            beneficiaryId: request.beneficiaryId,
            applicationId: request.applicationId,
            applicationName: request.applicationName,
            entitlementId: request.entitlementId,
            entitlementName: request.entitlementName,
            validFrom: request.validFrom.getTime() > now.getTime() ? request.validFrom : now,
            validTo: request.validTo,
            source: 'REQUEST',
            requestId: request._id,
            ruleId: null,
          },
          { ...events, grants: deps.grants, now },
        );
        if (heldBy)
          deps.logger.warn(
            { requestId: request._id, heldBy },
            'approved request found the access held already (by birthright or an administrator); no second grant',
          );
      }
    }
  };
}
