import { randomUUID } from 'node:crypto';
import type { RequestContext, ServiceRuntime } from '@concierge/kit';
import type { EventDeps } from './events';

/** What a use case needs from any request for its events: contracts, who acts, which request. */
export function requestDeps(ctx: RequestContext & { runtime: ServiceRuntime }): EventDeps & { now: Date } {
  return {
    contracts: ctx.runtime.contracts,
    actor: ctx.principal.userId ?? 'anonymous',
    correlationId: ctx.correlationId || randomUUID(),
    now: new Date(),
  };
}

/** A reference to an entity another subgraph owns (the gateway fetches the rest). */
export function ref(typename: 'User' | 'Organization', id: string | null | undefined) {
  return id ? { __typename: typename, id } : null;
}

/** ISO 8601, or null. */
export function iso(at: Date | null | undefined): string | null {
  return at ? new Date(at).toISOString() : null;
}
