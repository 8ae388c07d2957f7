import { randomUUID } from 'node:crypto';
import { mapBounded, type DueSweeper, type EventContracts, type Logger } from '@concierge/kit';
import type { UserRepository } from '../directory/user.repository';
import { applyTransition, type ChangeStatusDeps } from './change-status';

export interface DueDeps {
  users: UserRepository;
  contracts: EventContracts;
  logger: Logger;
  /** Walks the minutes that fell due since the last sweep (kit); replicas share its cursor. */
  sweeper: DueSweeper;
  credentialEffects?: ChangeStatusDeps['credentialEffects'];
}

/** Transitions in flight at once during a sweep. */
const FIRE_CONCURRENCY = 8;

/**
 * Fires every start-date activation and end-date termination that fell due by `now` (first-day
 * account creation, last-day termination), including those that fell due while the service was
 * down: the sweeper hands over each minute since the last sweep. A replica first claims the
 * transition (an insert keyed by user, action and due time, which the unique _id makes atomic on
 * MongoDB and on FerretDB alike), so when several replicas run this at once each transition
 * happens exactly once. Returns how many this call fired.
 */
export async function runDueTransitions(now: Date, deps: DueDeps): Promise<number> {
  let fired = 0;
  await deps.sweeper.sweep(now, async (bucket) => {
    // Users are independent: their claims and transitions go to the database several at a time.
    const results = await mapBounded(await deps.users.findDueIn(bucket, now), FIRE_CONCURRENCY, (user) =>
      fire(user, deps),
    );
    fired += results.filter(Boolean).length;
  });
  return fired;
}

async function fire(user: Awaited<ReturnType<UserRepository['findDueIn']>>[number], deps: DueDeps) {
  if (!user.dueAction || !user.dueAt) return false;
  const correlationId = randomUUID();
  // A conditional update alone is no claim on FerretDB v1: two concurrent ones both report a
  // modification (last writer wins). An insert with a unique _id is.
  if (!(await deps.users.claimDue(user._id, user.dueAction, user.dueAt))) return false;
  try {
    return await applyTransition(user, user.dueAction, 'SCHEDULE', {
      ...deps,
      actor: 'system:lifecycle-scheduler',
      correlationId,
    });
  } catch (err) {
    // A due transition that is no longer allowed (e.g. terminated meanwhile) must not block the rest.
    deps.logger.warn({ err, userId: user._id, correlationId }, 'scheduled transition skipped');
    return false;
  }
}
