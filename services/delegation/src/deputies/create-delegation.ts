import { randomUUID } from 'node:crypto';
import type { DirectoryUser } from '../directory/directory.repository';
import {
  isLive,
  overlaps,
  periodOf,
  requiredText,
  scopeOf,
  type Delegation,
  type Period,
  type ScopeKind,
} from './delegation';
import { cycleThrough } from './delegation-cycle';
import {
  cycle,
  delegatorTerminated,
  delegatorUnknown,
  deputyNotActive,
  selfDelegation,
} from './delegation.errors';
import { delegationCreated } from './delegation.events';
import type { NewDelegation } from './delegation.repository';
import type { DeputiesDeps } from './deps';
import { endLeaverDelegations } from './end-leaver-delegations';

/** A delegation as asked for; the delegator is settled by the caller (the signed-in user by default). */
export interface CreateDelegationInput {
  delegatorId: string;
  deputyId: string;
  scope: { kind: ScopeKind; applicationIds?: readonly string[] | null };
  validFrom?: string | null;
  validTo: string;
  reason: string;
  allowFurtherDelegation?: boolean | null;
}

/**
 * Hands the delegator's approval rights to a deputy for a period, and publishes
 * delegation.created. Refuses (storing nothing) a deputy who is the delegator or is not ACTIVE, an
 * unknown or terminated delegator, a period that is empty or over, a scope that contradicts
 * itself, and a delegation that would close a loop of deputies within its period.
 */
export async function createDelegation(
  input: CreateDelegationInput,
  deps: DeputiesDeps,
): Promise<Delegation> {
  const now = deps.now ?? new Date();
  // Assert: the request alone.
  const period = periodOf(input, now);
  const scope = scopeOf(input.scope);
  const reason = requiredText('reason', input.reason);
  if (input.delegatorId === input.deputyId) throw selfDelegation();

  // Load: both people, as the user events have told this service about them.
  const [delegator, deputy] = await Promise.all([
    deps.directory.findById(input.delegatorId),
    deps.directory.findById(input.deputyId),
  ]);
  checkDelegator(input.delegatorId, delegator);
  if (deputy?.status !== 'ACTIVE') throw deputyNotActive(input.deputyId, deputy?.status ?? null);

  // Decide and persist, one creation at a time, so that no two creations close a loop together.
  const draft: NewDelegation = {
    _id: randomUUID(),
    delegatorId: input.delegatorId,
    delegatorName: delegator.displayName ?? input.delegatorId,
    deputyId: input.deputyId,
    scope,
    validFrom: period.from,
    validTo: period.to,
    reason,
    allowFurtherDelegation: input.allowFurtherDelegation ?? false,
    createdBy: deps.actor,
    createdAt: now,
    endedBy: null,
    endedAt: null,
    endReason: null,
    expiredAt: null,
  };
  const created = await deps.lease.hold(async () => {
    const loop = await cycleThrough(draft.delegatorId, draft.deputyId, (user) =>
      deputiesWithin(user, period, now, deps),
    );
    if (loop) throw cycle([draft.delegatorId, ...loop]);
    return deps.delegations.create(draft, [delegationCreated(deps, draft)]);
  });
  if (!created) throw new Error(`delegation id ${draft._id} was taken`);

  // The event went out with the commit. A termination handled between the load above and the
  // commit found no delegation to end; this look after the commit catches it: the projection is
  // written before the leaver's delegations are listed, so one of the two sees the other.
  return (await endIfEitherLeft(created, deps)) ?? created;
}

function checkDelegator(id: string, delegator: DirectoryUser | null): asserts delegator is DirectoryUser {
  if (!delegator?.status) throw delegatorUnknown(id);
  if (delegator.status === 'TERMINATED') throw delegatorTerminated(id);
}

/** The deputies a user has, through live delegations whose periods overlap `period`. */
async function deputiesWithin(
  userId: string,
  period: Period,
  now: Date,
  deps: DeputiesDeps,
): Promise<string[]> {
  return (await deps.delegations.givenBy(userId))
    .filter((d) => isLive(d, now) && overlaps({ from: d.validFrom, to: d.validTo }, period))
    .map((d) => d.deputyId);
}

/** Ends the new delegation when either person was terminated meanwhile; the latest version then. */
async function endIfEitherLeft(created: Delegation, deps: DeputiesDeps): Promise<Delegation | null> {
  const people = await Promise.all(
    [created.delegatorId, created.deputyId].map((id) => deps.directory.findById(id)),
  );
  const leavers = people.filter((p): p is DirectoryUser => p?.status === 'TERMINATED');
  if (leavers.length === 0) return null;
  for (const leaver of leavers) await endLeaverDelegations(leaver._id, deps);
  return deps.delegations.load(created._id);
}
