import { createEvent, type EventEnvelope } from '@concierge/kit';
import type { EventDeps } from '../deputies/delegation.events';
import type { ApiToken } from './api-token';

type Facts = Omit<ApiToken, 'version'>;

/** A token event: who made it, for which organisation; never the secret or its hash. */
function tokenEvent(deps: EventDeps, type: string, t: Facts, data: object): EventEnvelope {
  const event = createEvent('/concierge/delegation', {
    type,
    subject: t._id,
    data: { tokenId: t._id, name: t.name, organizationId: t.organizationId, creatorId: t.creatorId, ...data },
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);
  return event;
}

export const tokenCreated = (deps: EventDeps, t: Facts) =>
  tokenEvent(deps, 'api-token.created', t, {
    capabilities: t.capabilities,
    applicationIds: t.applicationIds,
    expiresAt: t.expiresAt.toISOString(),
  });

export const tokenRevoked = (deps: EventDeps, t: Facts) =>
  tokenEvent(deps, 'api-token.revoked', t, { revokedBy: t.revokedBy ?? deps.actor, reason: t.revokeReason });

export const tokenExpiring = (deps: EventDeps, t: Facts) =>
  tokenEvent(deps, 'api-token.expiring', t, { expiresAt: t.expiresAt.toISOString() });

export const tokenExpired = (deps: EventDeps, t: Facts) =>
  tokenEvent(deps, 'api-token.expired', t, { expiresAt: t.expiresAt.toISOString() });
