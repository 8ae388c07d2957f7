import { randomUUID } from 'node:crypto';
import type { DueSweeper, EventContracts } from '@concierge/kit';
import { expired } from './delegation';
import { delegationExpired, SYSTEM_ACTOR } from './delegation.events';
import type { DelegationRepository } from './delegation.repository';

export interface ExpiryDeps {
  delegations: DelegationRepository;
  contracts: EventContracts;
  /** Walks the minutes that fell due since the last sweep; replicas share its cursor. */
  sweeper: DueSweeper;
}

/**
 * Records every delegation whose validTo passed by `now` as expired and publishes
 * delegation.expired, also for those that fell due while the service was down. Each expiry is a
 * commit of the next version, which one replica alone can make: another replica firing the same
 * timer meets a version conflict, which the store counts as done. Returns how many fired.
 */
export async function expireDueDelegations(now: Date, deps: ExpiryDeps): Promise<number> {
  return deps.delegations.sweepDue(now, deps.sweeper, async (current, at) => {
    // sweepDue hands over a version only when its timer (set at its validTo) is due; a version that
    // ended or expired has no timer, so this guard only keeps a stray one from publishing twice.
    if (current.endedAt || current.expiredAt) return;
    const next = expired(current, at);
    const event = delegationExpired(
      { contracts: deps.contracts, actor: SYSTEM_ACTOR, correlationId: randomUUID() },
      next,
    );
    await deps.delegations.commit(current, { next, events: [event] });
  });
}
