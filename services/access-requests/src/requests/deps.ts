import type { Change, Logger } from '@concierge/kit';
import type { ApplicationRepository } from '../catalog/application.repository';
import type { DeputyRepository } from '../deputies/deputy.repository';
import { deputiesOf } from '../deputies/deputies';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { GrantRepository } from '../grants/grant.repository';
import type { PolicyRepository } from '../policies/policy.repository';
import { serviceEvent, type EventDeps } from '../shared/events';
import type { AccessRequest, Assignee, Outcome, RequestEffect, StepContext } from './access-request';
import { approverResolver } from './approvers';
import type { RequestRepository } from './request.repository';

/** What the request use cases need. */
export interface RequestDeps extends EventDeps {
  requests: RequestRepository;
  applications: ApplicationRepository;
  policies: PolicyRepository;
  grants: GrantRepository;
  directory: DirectoryRepository;
  deputies: DeputyRepository;
  now: Date;
  logger: Logger;
}

/** The state machine's context for a stored request: now, the actor, its approvers looked up. */
export async function stepContext(
  request: Pick<AccessRequest, 'beneficiaryId' | 'applicationId' | 'policy'>,
  deps: RequestDeps,
): Promise<StepContext> {
  const application = (await deps.applications.findById(request.applicationId)) ?? { ownerIds: [] };
  const resolve = await approverResolver(
    request,
    request.policy.definition,
    application,
    deps.directory,
    deps.now,
  );
  return { now: deps.now, actor: deps.actor, resolve };
}

/**
 * The store's change for a decided outcome: its events in envelopes, checked against their
 * contracts, with the deputies of whoever they assign or remind (looked up now, so a delegation
 * that began while the task was open is in); the request remembers the correlation id.
 */
export async function changeOf(
  outcome: Outcome,
  deps: RequestDeps,
): Promise<Change<AccessRequest, RequestEffect>> {
  const r = outcome.next;
  const events = [];
  for (const e of outcome.events) {
    const data = { ...e.data };
    const holders =
      e.type === 'approval.reminder'
        ? (data.recipients as string[])
        : e.type === 'approval.task-assigned' || e.type === 'approval.escalated'
          ? (data.assignees as Assignee[]).map((a) => a.userId)
          : null;
    if (holders) data.deputies = await deputiesOf(holders, r.applicationId, deps.now, deps.deputies);
    events.push(serviceEvent(deps, e.type, r._id, data, e.onBehalfOf));
  }
  return {
    next: { ...r, correlationId: deps.correlationId } as AccessRequest,
    events,
    effects: outcome.effects,
  };
}
