import { ForbiddenError, NotFoundError } from '@concierge/kit';
import { actingFor } from '../deputies/deputies';
import {
  cancel,
  decide,
  expire,
  fireTimers,
  forward,
  reroute,
  type AccessRequest,
  type DecisionInput,
} from './access-request';
import { changeOf, stepContext, type RequestDeps } from './deps';

/**
 * An approver (or a deputy for one) approves or rejects. The decision is claimed with the
 * request's next version: of two at once, one wins and the other is decided again on the newer
 * state, where it finds the task decided (CONFLICT) or the next one still open.
 */
export async function decideRequest(
  id: string,
  input: DecisionInput,
  deps: RequestDeps,
): Promise<AccessRequest> {
  const result = await deps.requests.store.update(id, async (request) => {
    const actsFor = await actingFor(deps.actor, request.applicationId, deps.now, deps.deputies);
    return changeOf(decide(request, input, actsFor, await stepContext(request, deps)), deps);
  });
  if (!result) throw new NotFoundError('AccessRequest', id);
  return result.state;
}

/** Hands a task to another active person, who is neither the beneficiary nor the requester. */
export async function forwardTask(
  id: string,
  input: { toUserId: string; reason: string; onBehalfOf: string | null },
  deps: RequestDeps,
): Promise<AccessRequest> {
  const to = await deps.directory.user(input.toUserId);
  const result = await deps.requests.store.update(id, async (request) => {
    const actsFor = await actingFor(deps.actor, request.applicationId, deps.now, deps.deputies);
    const outcome = forward(
      request,
      { ...input, toIsActive: to?.status === 'ACTIVE' },
      actsFor,
      await stepContext(request, deps),
    );
    return changeOf(outcome, deps);
  });
  if (!result) throw new NotFoundError('AccessRequest', id);
  return result.state;
}

/** The requester or the beneficiary (or an administrator) withdraws a pending request. */
export async function cancelRequest(
  id: string,
  reason: string | null,
  deps: RequestDeps & { isAdmin: boolean },
): Promise<AccessRequest> {
  const result = await deps.requests.store.update(id, async (request) => {
    if (!deps.isAdmin && deps.actor !== request.requesterId && deps.actor !== request.beneficiaryId)
      throw new ForbiddenError('Only the requester or the beneficiary can cancel a request');
    return changeOf(cancel(request, reason?.trim() || null, await stepContext(request, deps)), deps);
  });
  if (!result) throw new NotFoundError('AccessRequest', id);
  return result.state;
}

/** Ends every pending request for a terminated user; returns how many. */
export async function expireRequestsOf(userId: string, deps: RequestDeps): Promise<number> {
  let expired = 0;
  for (const request of await deps.requests.ofBeneficiaries([userId])) {
    if (request.status !== 'PENDING') continue;
    const result = await deps.requests.store.update(request._id, async (current) =>
      current.status === 'PENDING' ? changeOf(expire(current, await stepContext(current, deps)), deps) : null,
    );
    if (result?.changed) expired++;
  }
  return expired;
}

/** Sends the open manager tasks of a moved user's pending requests to their new manager; how many moved. */
export async function rerouteRequestsOf(userId: string, deps: RequestDeps): Promise<number> {
  let rerouted = 0;
  for (const request of await deps.requests.ofBeneficiaries([userId])) {
    if (request.status !== 'PENDING') continue;
    const result = await deps.requests.store.update(request._id, async (current) => {
      const outcome = reroute(current, await stepContext(current, deps));
      return outcome ? changeOf(outcome, deps) : null;
    });
    if (result?.changed) rerouted++;
  }
  return rerouted;
}

/**
 * Fires one request's due timer (from the store's sweep): reminders, escalations, the final
 * action. Several replicas may fire the same one; the version claim lets one of them.
 */
export async function fireRequest(request: AccessRequest, deps: RequestDeps): Promise<void> {
  // Approvers are looked up only to escalate; a reminder names those who hold the task already.
  const escalating = (request.stage?.deadline.getTime() ?? 0) <= deps.now.getTime();
  const ctx = escalating
    ? await stepContext(request, deps)
    : { now: deps.now, actor: deps.actor, resolve: () => [] };
  const outcome = fireTimers(request, ctx);
  if (!outcome) return;
  await deps.requests.store.commit(request, await changeOf(outcome, deps));
}
