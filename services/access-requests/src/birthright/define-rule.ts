import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError, NotFoundError } from '@concierge/kit';
import { entitlementOf } from '../catalog/application';
import type { ApplicationRepository } from '../catalog/application.repository';
import type { DirectoryRepository } from '../directory/directory.repository';
import { serviceEvent, type EventDeps } from '../shared/events';
import type { BirthrightRule } from './birthright-rule';
import { BIRTHRIGHT_ERRORS } from './birthright.errors';
import type { RuleRepository } from './rule.repository';

export interface RuleDeps extends EventDeps {
  rules: RuleRepository;
  applications: ApplicationRepository;
  directory: DirectoryRepository;
  now: Date;
}

export interface RuleInput {
  name: string;
  organizationId: string;
  includeSubtree?: boolean | null;
  employeeType?: BirthrightRule['employeeType'];
  entitlementId: string;
}

/** Creates a rule; birthright-rule.created. Its grants follow from the event, for every matching user. */
export async function createRule(input: RuleInput, deps: RuleDeps): Promise<BirthrightRule> {
  const fields = await validRule(input, deps);
  const id = randomUUID();
  const state = { _id: id, ...fields, deleted: false, createdAt: deps.now, updatedAt: deps.now };
  const event = serviceEvent(deps, 'birthright-rule.created', id, ruleFields({ ...state, version: 1 }));
  return (await deps.rules.store.create(state, { events: [event] })) as BirthrightRule;
}

/** Changes a rule; birthright-rule.updated. Users the old or the new rule covers are evaluated again. */
export async function updateRule(id: string, input: RuleInput, deps: RuleDeps): Promise<BirthrightRule> {
  const fields = await validRule(input, deps);
  const result = await deps.rules.store.update(id, (rule) => {
    if (rule.deleted) throw new ConflictError('The rule was deleted', { reason: BIRTHRIGHT_ERRORS.DELETED });
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const [key, after] of Object.entries(fields)) {
      const before = (rule as unknown as Record<string, unknown>)[key];
      if (before !== after) changes[key] = { before, after };
    }
    if (Object.keys(changes).length === 0) return null;
    const next = { ...rule, ...fields, updatedAt: deps.now };
    return {
      next,
      events: [serviceEvent(deps, 'birthright-rule.updated', id, { ...ruleFields(next), changes })],
    };
  });
  if (!result) throw new NotFoundError('BirthrightRule', id);
  return result.state;
}

/** Deletes a rule; birthright-rule.deleted. The grants it gave are revoked unless another rule gives them. */
export async function deleteRule(id: string, deps: RuleDeps): Promise<BirthrightRule> {
  const result = await deps.rules.store.update(id, (rule) => {
    if (rule.deleted) return null;
    const next = { ...rule, deleted: true, updatedAt: deps.now };
    return { next, events: [serviceEvent(deps, 'birthright-rule.deleted', id, ruleFields(next))] };
  });
  if (!result) throw new NotFoundError('BirthrightRule', id);
  return result.state;
}

async function validRule(input: RuleInput, deps: RuleDeps) {
  const name = input.name.trim();
  if (name === '' || name.length > 200)
    throw new BadInputError('name', 'A rule needs a name of 1 to 200 characters', BIRTHRIGHT_ERRORS.BAD_NAME);
  if (!(await deps.directory.hasOrganization(input.organizationId)))
    throw new BadInputError(
      'organizationId',
      `No such organisation: ${input.organizationId}`,
      BIRTHRIGHT_ERRORS.UNKNOWN_ORGANIZATION,
    );
  const application = await deps.applications.byEntitlement(input.entitlementId);
  if (!application || !entitlementOf(application, input.entitlementId))
    throw new BadInputError(
      'entitlementId',
      `No such entitlement: ${input.entitlementId}`,
      BIRTHRIGHT_ERRORS.UNKNOWN_ENTITLEMENT,
    );
  return {
    name,
    organizationId: input.organizationId,
    includeSubtree: input.includeSubtree ?? true,
    employeeType: input.employeeType ?? null,
    applicationId: application._id,
    entitlementId: input.entitlementId,
  };
}

function ruleFields(rule: BirthrightRule): Record<string, unknown> {
  return {
    ruleId: rule._id,
    name: rule.name,
    organizationId: rule.organizationId,
    includeSubtree: rule.includeSubtree,
    employeeType: rule.employeeType,
    applicationId: rule.applicationId,
    entitlementId: rule.entitlementId,
  };
}
