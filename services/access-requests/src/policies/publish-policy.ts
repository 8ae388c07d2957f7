import { randomUUID } from 'node:crypto';
import { BadInputError, NotFoundError } from '@concierge/kit';
import type { DirectoryRepository } from '../directory/directory.repository';
import { serviceEvent, type EventDeps } from '../shared/events';
import {
  namedUsers,
  validDefinition,
  validPolicyName,
  type ApprovalPolicy,
  type PolicyDefinition,
  type PolicyDefinitionInput,
} from './approval-policy';
import type { PolicyRepository } from './policy.repository';
import { POLICY_ERRORS } from './policies.errors';

export interface PolicyDeps extends EventDeps {
  policies: PolicyRepository;
  directory: DirectoryRepository;
  now: Date;
}

export interface PolicyInput extends PolicyDefinitionInput {
  name: string;
  applicationId?: string | null;
}

/** Creates a policy at version 1; approval-policy.published. */
export async function createPolicy(input: PolicyInput, deps: PolicyDeps): Promise<ApprovalPolicy> {
  const name = validPolicyName(input.name);
  const definition = await checkedDefinition(input, deps);
  const id = randomUUID();
  const state = {
    _id: id,
    name,
    applicationId: input.applicationId ?? null,
    definition,
    createdAt: deps.now,
    updatedAt: deps.now,
    updatedBy: deps.actor,
  };
  const created = await deps.policies.store.create(state, {
    events: [published({ ...state, version: 1 }, deps)],
  });
  return created as ApprovalPolicy;
}

/**
 * Publishes a new version of a policy. Requests in flight keep the version they started with;
 * new requests take this one. The application a policy belongs to does not change.
 */
export async function updatePolicy(
  id: string,
  input: PolicyInput,
  deps: PolicyDeps,
): Promise<ApprovalPolicy> {
  const name = validPolicyName(input.name);
  const definition = await checkedDefinition(input, deps);
  const result = await deps.policies.store.update(id, (current) => {
    if ((input.applicationId ?? null) !== current.applicationId)
      throw new BadInputError(
        'applicationId',
        'A policy stays with the application it was made for',
        POLICY_ERRORS.WRONG_APPLICATION,
      );
    const next = { ...current, name, definition, updatedAt: deps.now, updatedBy: deps.actor };
    return { next, events: [published({ ...next, version: current.version + 1 }, deps)] };
  });
  if (!result) throw new NotFoundError('ApprovalPolicy', id);
  return result.state;
}

async function checkedDefinition(input: PolicyInput, deps: PolicyDeps): Promise<PolicyDefinition> {
  const definition = validDefinition(input);
  const named = namedUsers(definition);
  const known = new Set((await deps.directory.usersByIds(named)).map((u) => u._id));
  const unknown = named.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new BadInputError('stages', `No such user: ${unknown.join(', ')}`, POLICY_ERRORS.UNKNOWN_USER);
  return definition;
}

function published(policy: ApprovalPolicy, deps: EventDeps) {
  return serviceEvent(deps, 'approval-policy.published', policy._id, {
    policyId: policy._id,
    version: policy.version,
    name: policy.name,
    definition: policy.definition as unknown as Record<string, unknown>,
  });
}
