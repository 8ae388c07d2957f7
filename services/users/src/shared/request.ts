import type { RequestContext, ServiceRuntime } from '@concierge/kit';
import type { EventDeps } from './events';

/**
 * What every resolver of this service has: the request and the service's runtime. Each
 * component declares the context it needs on top; context.ts builds the whole of it.
 */
export interface ServiceContext extends RequestContext {
  runtime: ServiceRuntime;
}

/** What a use case needs from any request for its events: contracts, who acts, which request. */
export function requestDeps(ctx: ServiceContext): EventDeps {
  return {
    contracts: ctx.runtime.contracts,
    actor: ctx.principal.userId ?? 'anonymous',
    correlationId: ctx.correlationId,
  };
}
