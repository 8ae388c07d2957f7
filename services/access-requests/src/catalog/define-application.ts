import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError, NotFoundError } from '@concierge/kit';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { PolicyRepository } from '../policies/policy.repository';
import { serviceEvent, type EventDeps } from '../shared/events';
import {
  entitlementOf,
  validDescription,
  validMaxDuration,
  validName,
  type Application,
  type Entitlement,
  type RiskLevel,
} from './application';
import type { ApplicationRepository } from './application.repository';
import { CATALOG_ERRORS } from './catalog.errors';

export interface CatalogDeps extends EventDeps {
  applications: ApplicationRepository;
  policies: PolicyRepository;
  directory: DirectoryRepository;
  now: Date;
}

export interface ApplicationInput {
  name?: string | null;
  description?: string | null;
  ownerIds?: string[] | null;
  requestableBy?: string[] | null;
  riskLevel?: RiskLevel | null;
}

/** Adds an application to the catalogue; application.created. Its name is unique (any case). */
export async function createApplication(input: ApplicationInput, deps: CatalogDeps): Promise<Application> {
  const name = validName(input.name ?? '', 'name');
  const fields = {
    name,
    description: validDescription(input.description),
    ownerIds: await knownOwners(input.ownerIds ?? [], deps),
    requestableBy: await knownOrganizations(input.requestableBy ?? [], deps),
    riskLevel: input.riskLevel ?? 'MEDIUM',
  };
  const id = randomUUID();
  await claim(name, id, deps);
  const state = {
    _id: id,
    ...fields,
    entitlements: [],
    entitlementIds: [],
    createdAt: deps.now,
    updatedAt: deps.now,
  };
  const event = serviceEvent(deps, 'application.created', id, { applicationId: id, ...fields });
  try {
    return (await deps.applications.store.create(state, { events: [event] })) as Application;
  } catch (err) {
    await deps.applications.releaseName(name, id);
    throw err;
  }
}

/** Changes an application's catalogue entry; application.updated with the changed fields. */
export async function updateApplication(
  id: string,
  input: ApplicationInput,
  deps: CatalogDeps,
): Promise<Application> {
  const current = await deps.applications.store.load(id);
  if (!current) throw new NotFoundError('Application', id);
  const wanted: Partial<Application> = {};
  if (input.name != null) wanted.name = validName(input.name, 'name');
  if (input.description !== undefined) wanted.description = validDescription(input.description);
  if (input.ownerIds != null) wanted.ownerIds = await knownOwners(input.ownerIds, deps);
  if (input.requestableBy != null) wanted.requestableBy = await knownOrganizations(input.requestableBy, deps);
  if (input.riskLevel != null) wanted.riskLevel = input.riskLevel;
  const renamed = wanted.name !== undefined && wanted.name !== current.name;
  if (renamed) await claim(wanted.name as string, id, deps);
  const result = await deps.applications.store.update(id, (state) => {
    const changes = changed(state, wanted);
    if (Object.keys(changes).length === 0) return null;
    const next = { ...state, ...wanted, updatedAt: deps.now };
    return { next, events: [serviceEvent(deps, 'application.updated', id, { applicationId: id, changes })] };
  });
  if (renamed && result?.changed) await deps.applications.releaseName(current.name, id);
  return (result?.state ?? current) as Application;
}

export interface EntitlementInput {
  name?: string | null;
  description?: string | null;
  baseAccess?: boolean | null;
  maxDuration?: string | null;
  policyId?: string | null;
  allowAutoApproval?: boolean | null;
}

/** Adds an entitlement to an application; application.entitlement-added. */
export async function addEntitlement(
  applicationId: string,
  input: EntitlementInput,
  deps: CatalogDeps,
): Promise<Entitlement> {
  const name = validName(input.name ?? '', 'name', 100);
  const maxDuration = validMaxDuration(input.maxDuration);
  const policyId = await usablePolicy(input.policyId ?? '', applicationId, deps);
  const entitlement: Entitlement = {
    id: randomUUID(),
    name,
    description: validDescription(input.description),
    baseAccess: input.baseAccess ?? false,
    maxDuration,
    policyId,
    allowAutoApproval: input.allowAutoApproval ?? false,
    createdAt: deps.now,
  };
  const result = await deps.applications.store.update(applicationId, (app) => {
    if (app.entitlements.some((e) => e.name.toLowerCase() === name.toLowerCase()))
      throw new ConflictError(`${app.name} has an entitlement named ${name} already`, {
        field: 'name',
        reason: CATALOG_ERRORS.ENTITLEMENT_NAME_TAKEN,
      });
    if (entitlement.baseAccess && app.entitlements.some((e) => e.baseAccess))
      throw new ConflictError(`${app.name} has its base access already`, {
        field: 'baseAccess',
        reason: CATALOG_ERRORS.BASE_ACCESS_TAKEN,
      });
    const next = {
      ...app,
      entitlements: [...app.entitlements, entitlement],
      entitlementIds: [...app.entitlementIds, entitlement.id],
      updatedAt: deps.now,
    };
    const { id, createdAt: _createdAt, ...fields } = entitlement;
    const event = serviceEvent(deps, 'application.entitlement-added', applicationId, {
      applicationId,
      entitlementId: id,
      ...fields,
    });
    return { next, events: [event] };
  });
  if (!result) throw new NotFoundError('Application', applicationId);
  return entitlement;
}

/** Changes an entitlement (not whether it is the base access); application.entitlement-updated. */
export async function updateEntitlement(
  applicationId: string,
  entitlementId: string,
  input: EntitlementInput,
  deps: CatalogDeps,
): Promise<Entitlement> {
  const wanted: Partial<Entitlement> = {};
  if (input.name != null) wanted.name = validName(input.name, 'name', 100);
  if (input.description !== undefined) wanted.description = validDescription(input.description);
  if (input.maxDuration !== undefined) wanted.maxDuration = validMaxDuration(input.maxDuration);
  if (input.policyId != null) wanted.policyId = await usablePolicy(input.policyId, applicationId, deps);
  if (input.allowAutoApproval != null) wanted.allowAutoApproval = input.allowAutoApproval;
  const result = await deps.applications.store.update(applicationId, (app) => {
    const current = entitlementOf(app, entitlementId);
    if (!current) throw new NotFoundError('Entitlement', entitlementId);
    if (
      wanted.name &&
      app.entitlements.some(
        (e) => e.id !== entitlementId && e.name.toLowerCase() === wanted.name?.toLowerCase(),
      )
    )
      throw new ConflictError(`${app.name} has an entitlement named ${wanted.name} already`, {
        field: 'name',
        reason: CATALOG_ERRORS.ENTITLEMENT_NAME_TAKEN,
      });
    const changes = changed(current, wanted);
    if (Object.keys(changes).length === 0) return null;
    const next = {
      ...app,
      entitlements: app.entitlements.map((e) => (e.id === entitlementId ? { ...e, ...wanted } : e)),
      updatedAt: deps.now,
    };
    const event = serviceEvent(deps, 'application.entitlement-updated', applicationId, {
      applicationId,
      entitlementId,
      changes,
    });
    return { next, events: [event] };
  });
  if (!result) throw new NotFoundError('Application', applicationId);
  return entitlementOf(result.state, entitlementId) as Entitlement;
}

/** The fields of `wanted` whose value differs from `current`, each with before and after. */
function changed<T extends object>(
  current: T,
  wanted: Partial<T>,
): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const [key, after] of Object.entries(wanted)) {
    const before = (current as Record<string, unknown>)[key];
    if (JSON.stringify(before) !== JSON.stringify(after))
      out[key] = { before: before ?? null, after: after ?? null };
  }
  return out;
}

async function claim(name: string, id: string, deps: CatalogDeps): Promise<void> {
  if ((await deps.applications.claimName(name, id)) !== null)
    throw new ConflictError(`An application named ${name} exists already`, {
      field: 'name',
      reason: CATALOG_ERRORS.NAME_TAKEN,
    });
}

async function knownOwners(ids: string[], deps: CatalogDeps): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0)
    throw new BadInputError('ownerIds', 'An application needs at least one owner', CATALOG_ERRORS.NO_OWNER);
  const known = new Set((await deps.directory.usersByIds(unique)).map((u) => u._id));
  const unknown = unique.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new BadInputError('ownerIds', `No such user: ${unknown.join(', ')}`, CATALOG_ERRORS.UNKNOWN_USER);
  return unique;
}

async function knownOrganizations(ids: string[], deps: CatalogDeps): Promise<string[]> {
  const unique = [...new Set(ids)];
  for (const id of unique) {
    if (!(await deps.directory.hasOrganization(id)))
      throw new BadInputError(
        'requestableBy',
        `No such organisation: ${id}`,
        CATALOG_ERRORS.UNKNOWN_ORGANIZATION,
      );
  }
  return unique;
}

async function usablePolicy(policyId: string, applicationId: string, deps: CatalogDeps): Promise<string> {
  const policy = policyId ? await deps.policies.findById(policyId) : null;
  if (!policy || (policy.applicationId !== null && policy.applicationId !== applicationId))
    throw new BadInputError(
      'policyId',
      `No approval policy ${policyId} for this application`,
      CATALOG_ERRORS.UNKNOWN_POLICY,
    );
  return policy._id;
}
