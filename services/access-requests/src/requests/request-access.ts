import { randomUUID } from 'node:crypto';
import { addDuration, BadInputError, ConflictError, NotFoundError, parseIsoDateTime } from '@concierge/kit';
import { entitlementOf, type Application, type Entitlement } from '../catalog/application';
import type { DirectoryUser } from '../directory/directory.model';
import { isLive, type Grant } from '../grants/grant';
import { submit, type AccessRequest } from './access-request';
import { changeOf, stepContext, type RequestDeps } from './deps';
import { pendingKey } from './request.repository';
import { REQUEST_ERRORS } from './requests.errors';
import { requireProvided } from '../catalog/partners';

export interface RequestAccessInput {
  beneficiaryId?: string | null;
  entitlementId: string;
  justification: string;
  validFrom?: string | null;
  validTo?: string | null;
}

/** A start this far in the past is taken as now (clocks differ); further back is refused. */
const PAST_SLACK_MS = 5 * 60_000;

/**
 * Asks for an entitlement for the requester or someone else (whether the requester may is the
 * resolver's question). Checks, in order: the justification, the beneficiary (known, not
 * suspended or terminated), the entitlement, the period against its maximum, whether the
 * beneficiary's organisation may request the application (and, for a partner's people, whether the
 * entitlement is provided to their partner), access already held, then claims the
 * one pending request for this person and entitlement. Then the request starts under the latest
 * version of the entitlement's policy. Every refusal is a typed error and stores nothing.
 */
export async function requestAccess(input: RequestAccessInput, deps: RequestDeps): Promise<AccessRequest> {
  const justification = validJustification(input.justification);
  const beneficiary = await activeBeneficiary(input.beneficiaryId ?? deps.actor, deps);
  const { application, entitlement } = await entitlementById(input.entitlementId, deps);
  const validFrom = startOf(input.validFrom, deps.now);
  const validTo = endOf(input.validTo, validFrom);
  withinMaximum(entitlement, validTo, validFrom);
  await requestable(application, beneficiary, deps);
  await requireProvided(application, entitlement, beneficiary.organizationId, deps.directory);
  if (await deps.grants.holding(beneficiary._id, entitlement.id))
    throw new ConflictError(`${beneficiary.displayName} holds ${entitlement.name} already`, {
      reason: REQUEST_ERRORS.ALREADY_HELD,
    });
  return start(
    {
      _id: randomUUID(),
      kind: 'ACCESS',
      grantId: null,
      justification,
      validFrom,
      validTo,
      beneficiary,
      application,
      entitlement,
    },
    deps,
  );
}

/**
 * Asks for more time on a live grant; the extension goes through the entitlement's policy like a
 * new request, and moves the grant's end when approved.
 */
export async function requestExtension(
  input: { grantId: string; validTo: string; justification: string },
  deps: RequestDeps,
): Promise<AccessRequest> {
  const justification = validJustification(input.justification);
  const grant = await liveGrant(input.grantId, deps);
  const beneficiary = await activeBeneficiary(grant.beneficiaryId, deps);
  const { application, entitlement } = await entitlementById(grant.entitlementId, deps);
  const validTo = endOf(input.validTo, grant.validFrom) as Date;
  if (grant.validTo === null || validTo.getTime() <= grant.validTo.getTime())
    throw new BadInputError(
      'validTo',
      grant.validTo
        ? `The grant runs until ${grant.validTo.toISOString()} already`
        : 'The grant does not end',
      REQUEST_ERRORS.PERIOD,
    );
  withinMaximum(entitlement, validTo, grant.validFrom);
  return start(
    {
      _id: randomUUID(),
      kind: 'EXTENSION',
      grantId: grant._id,
      justification,
      validFrom: grant.validFrom,
      validTo,
      beneficiary,
      application,
      entitlement,
    },
    deps,
  );
}

/**
 * Asks for a live grant to be taken away (a line manager for a report, an administrator, the
 * holder); the removal goes through the entitlement's policy like a request, and revokes the grant
 * when approved.
 */
export async function requestRemoval(
  input: { grantId: string; justification: string },
  deps: RequestDeps,
): Promise<AccessRequest> {
  const justification = validJustification(input.justification);
  const grant = await liveGrant(input.grantId, deps);
  const beneficiary = await deps.directory.user(grant.beneficiaryId);
  if (!beneficiary) throw new NotFoundError('User', grant.beneficiaryId);
  const { application, entitlement } = await entitlementById(grant.entitlementId, deps);
  return start(
    {
      _id: randomUUID(),
      kind: 'REMOVAL',
      grantId: grant._id,
      justification,
      validFrom: grant.validFrom,
      validTo: grant.validTo,
      beneficiary,
      application,
      entitlement,
    },
    deps,
  );
}

/** The grant an extension or removal is about: it must exist and be in force or scheduled. */
async function liveGrant(grantId: string, deps: RequestDeps): Promise<Grant> {
  const grant = await deps.grants.store.load(grantId);
  if (!grant) throw new NotFoundError('Grant', grantId);
  if (!isLive(grant))
    throw new BadInputError(
      'grantId',
      `The grant is ${grant.status.toLowerCase()}`,
      REQUEST_ERRORS.GRANT_NOT_LIVE,
    );
  return grant;
}

interface Draft {
  _id: string;
  kind: AccessRequest['kind'];
  grantId: string | null;
  justification: string;
  validFrom: Date;
  validTo: Date | null;
  beneficiary: DirectoryUser;
  application: Application;
  entitlement: Entitlement;
}

async function start(draft: Draft, deps: RequestDeps): Promise<AccessRequest> {
  // As last written: an edit that lands in these milliseconds reaches the next request.
  const policy = await deps.policies.findById(draft.entitlement.policyId);
  if (!policy)
    throw new Error(
      `entitlement ${draft.entitlement.id} names policy ${draft.entitlement.policyId}, which is missing`,
    );
  const fields = {
    _id: draft._id,
    kind: draft.kind,
    grantId: draft.grantId,
    beneficiaryId: draft.beneficiary._id,
    beneficiaryName: draft.beneficiary.displayName,
    requesterId: deps.actor,
    applicationId: draft.application._id,
    applicationName: draft.application.name,
    entitlementId: draft.entitlement.id,
    entitlementName: draft.entitlement.name,
    justification: draft.justification,
    validFrom: draft.validFrom,
    validTo: draft.validTo,
    policy: { id: policy._id, version: policy.version, name: policy.name, definition: policy.definition },
    allowAutoApproval: draft.entitlement.allowAutoApproval,
  };
  const outcome = submit(fields, await stepContext(fields, deps));
  const key = pendingKey(outcome.next);
  const holder = await deps.requests.claimPending(key, draft._id);
  if (holder)
    throw new ConflictError(`Request ${holder} for the same access is pending already`, {
      reason: REQUEST_ERRORS.ALREADY_PENDING,
    });
  try {
    const change = await changeOf(outcome, deps);
    const { version: _version, ...state } = change.next;
    return (await deps.requests.store.create(state, change)) as AccessRequest;
  } catch (err) {
    await deps.requests.releasePending(key, draft._id);
    throw err;
  }
}

function validJustification(text: string): string {
  const justification = text.trim();
  if (justification === '')
    throw new BadInputError(
      'justification',
      'Say why the access is needed',
      REQUEST_ERRORS.JUSTIFICATION_REQUIRED,
    );
  if (justification.length > 2000)
    throw new BadInputError(
      'justification',
      'justification must be at most 2000 characters',
      REQUEST_ERRORS.TOO_LONG,
    );
  return justification;
}

async function activeBeneficiary(id: string, deps: RequestDeps): Promise<DirectoryUser> {
  const user = await deps.directory.user(id);
  if (!user) throw new NotFoundError('User', id);
  if (user.status === 'SUSPENDED' || user.status === 'TERMINATED')
    throw new BadInputError(
      'beneficiaryId',
      `${user.displayName} is ${user.status.toLowerCase()}: access cannot be requested for them`,
      REQUEST_ERRORS.BENEFICIARY_INACTIVE,
    );
  return user;
}

async function entitlementById(id: string, deps: RequestDeps) {
  const application = await deps.applications.byEntitlement(id);
  const entitlement = application && entitlementOf(application, id);
  if (!application || !entitlement) throw new NotFoundError('Entitlement', id);
  return { application, entitlement };
}

function startOf(text: string | null | undefined, now: Date): Date {
  if (text == null) return now;
  const at = parseIsoDateTime(text, { requireOffset: true });
  if (!at)
    throw new BadInputError(
      'validFrom',
      `"${text}" is not an ISO 8601 date-time with an offset`,
      REQUEST_ERRORS.PERIOD,
    );
  if (at.getTime() < now.getTime() - PAST_SLACK_MS)
    throw new BadInputError('validFrom', 'validFrom is in the past', REQUEST_ERRORS.PERIOD);
  return at.getTime() < now.getTime() ? now : at;
}

function endOf(text: string | null | undefined, from: Date): Date | null {
  if (text == null) return null;
  const at = parseIsoDateTime(text, { requireOffset: true });
  if (!at)
    throw new BadInputError(
      'validTo',
      `"${text}" is not an ISO 8601 date-time with an offset`,
      REQUEST_ERRORS.PERIOD,
    );
  if (at.getTime() <= from.getTime())
    throw new BadInputError('validTo', 'validTo must come after validFrom', REQUEST_ERRORS.PERIOD);
  return at;
}

/** An entitlement with a maximum duration needs an end within it, counted from the grant's start. */
function withinMaximum(entitlement: Entitlement, to: Date | null, start: Date): void {
  if (!entitlement.maxDuration) return;
  const limit = addDuration(start, entitlement.maxDuration);
  if (!to || to.getTime() > limit.getTime())
    throw new BadInputError(
      'validTo',
      `${entitlement.name} is granted for at most ${entitlement.maxDuration}: end it by ${limit.toISOString()}`,
      REQUEST_ERRORS.TOO_LONG,
    );
}

async function requestable(
  application: Application,
  beneficiary: DirectoryUser,
  deps: RequestDeps,
): Promise<void> {
  if (application.requestableBy.length === 0) return;
  const path = await deps.directory.organizationPath(beneficiary.organizationId);
  if (!application.requestableBy.some((org) => path.includes(org)))
    throw new BadInputError(
      'entitlementId',
      `${application.name} cannot be requested for users of ${beneficiary.displayName}'s organisation`,
      REQUEST_ERRORS.NOT_REQUESTABLE,
    );
}
