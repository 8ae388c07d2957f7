import { ended, isLive, optionalText, statusOf, type Delegation } from './delegation';
import { alreadyEnded, delegationNotFound } from './delegation.errors';
import { delegationEnded } from './delegation.events';
import type { DeputiesDeps } from './deps';

/**
 * Ends a scheduled or active delegation now, on behalf of the acting user, and publishes
 * delegation.ended. Refuses one that has ended or expired (DELEGATION.ALREADY_ENDED).
 */
export async function endDelegation(
  id: string,
  input: { reason?: string | null },
  deps: Pick<DeputiesDeps, 'delegations' | 'contracts' | 'actor' | 'correlationId' | 'now'>,
): Promise<Delegation> {
  const endReason = optionalText('reason', input.reason);
  const result = await deps.delegations.update(id, (current) => {
    const now = deps.now ?? new Date();
    if (!isLive(current, now)) throw alreadyEnded(id, statusOf(current, now));
    const next = ended(current, deps.actor, endReason, now);
    return { next, events: [delegationEnded(deps, next)] };
  });
  if (!result) throw delegationNotFound(id);
  return result.state;
}
