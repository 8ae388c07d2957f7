import { policy, type Principal, type RequestContext, type ServiceRuntime } from '@concierge/kit';
import type { EventDeps } from '../deputies/delegation.events';

/** What every use case learns of the signed-in caller: who acts, with which grants, in which request. */
export function callerDeps(
  ctx: RequestContext & { runtime: ServiceRuntime },
): EventDeps & { principal: Principal } {
  policy.requireUser(ctx.principal);
  return {
    principal: ctx.principal,
    contracts: ctx.runtime.contracts,
    actor: ctx.principal.userId,
    correlationId: ctx.correlationId,
  };
}
