import { ended, isLive } from './delegation';
import { delegationEnded, SYSTEM_ACTOR } from './delegation.events';
import type { DeputiesDeps } from './deps';

/** The endReason of delegations ended because a party left. */
export const USER_TERMINATED = 'USER_TERMINATED';

/**
 * Ends every scheduled or active delegation a terminated user gave or received (endedBy
 * `system:delegation`, reason USER_TERMINATED), each with its delegation.ended. Ended and expired
 * ones stay as they are, so running it again changes nothing. Returns how many it ended.
 */
export async function endLeaverDelegations(
  userId: string,
  deps: Pick<DeputiesDeps, 'delegations' | 'contracts' | 'correlationId'>,
): Promise<number> {
  const [given, received] = await Promise.all([
    deps.delegations.givenBy(userId),
    deps.delegations.receivedBy(userId),
  ]);
  const events = { ...deps, actor: SYSTEM_ACTOR };
  let count = 0;
  for (const { _id } of [...given, ...received]) {
    const result = await deps.delegations.update(_id, (current) => {
      const now = new Date();
      if (!isLive(current, now)) return null;
      const next = ended(current, SYSTEM_ACTOR, USER_TERMINATED, now);
      return { next, events: [delegationEnded(events, next)] };
    });
    if (result?.changed) count++;
  }
  return count;
}
