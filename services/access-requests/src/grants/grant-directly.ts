import { randomUUID } from 'node:crypto';
import { addDuration, BadInputError, ConflictError, NotFoundError, parseIsoDateTime } from '@concierge/kit';
import { entitlementOf, type Application } from '../catalog/application';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { Grant } from './grant';
import { createGrant, type GrantDeps } from './grant-changes';
import { GRANT_ERRORS } from './grants.errors';
import { requireProvided } from '../catalog/partners';

export interface DirectGrantInput {
  beneficiaryId: string;
  entitlementId: string;
  validFrom?: string | null;
  validTo?: string | null;
  reason: string;
}

/**
 * An administrator (or the application's owner) grants an entitlement without approval; the
 * grant's source is ADMINISTRATOR and its reason is kept. The entitlement's maximum duration
 * holds here too.
 */
export async function grantDirectly(
  input: DirectGrantInput,
  application: Application,
  deps: GrantDeps & { directory: DirectoryRepository },
): Promise<Grant> {
  const reason = input.reason.trim();
  if (reason === '')
    throw new BadInputError('reason', 'Say why the access is granted', GRANT_ERRORS.REASON_REQUIRED);
  const entitlement = entitlementOf(application, input.entitlementId);
  if (!entitlement) throw new NotFoundError('Entitlement', input.entitlementId);
  const user = await deps.directory.user(input.beneficiaryId);
  if (!user) throw new NotFoundError('User', input.beneficiaryId);
  if (user.status === 'TERMINATED' || user.status === 'SUSPENDED')
    throw new BadInputError(
      'beneficiaryId',
      `${user.displayName} is ${user.status.toLowerCase()}`,
      GRANT_ERRORS.PERIOD,
    );
  await requireProvided(application, entitlement, user.organizationId, deps.directory);
  const validFrom = input.validFrom ? date(input.validFrom, 'validFrom') : deps.now;
  const validTo = input.validTo ? date(input.validTo, 'validTo') : null;
  if (validTo && validTo.getTime() <= Math.max(validFrom.getTime(), deps.now.getTime()))
    throw new BadInputError('validTo', 'validTo must come after validFrom and now', GRANT_ERRORS.PERIOD);
  if (entitlement.maxDuration) {
    const limit = addDuration(validFrom, entitlement.maxDuration);
    if (!validTo || validTo.getTime() > limit.getTime())
      throw new BadInputError(
        'validTo',
        `${entitlement.name} is granted for at most ${entitlement.maxDuration}: end it by ${limit.toISOString()}`,
        GRANT_ERRORS.TOO_LONG,
      );
  }
  const { grant, heldBy } = await createGrant(
    {
      id: randomUUID(),
      beneficiaryId: user._id,
      applicationId: application._id,
      applicationName: application.name,
      entitlementId: entitlement.id,
      entitlementName: entitlement.name,
      validFrom: validFrom.getTime() < deps.now.getTime() ? deps.now : validFrom,
      validTo,
      source: 'ADMINISTRATOR',
      requestId: null,
      ruleId: null,
      reason,
    },
    deps,
  );
  if (heldBy || !grant)
    throw new ConflictError(`${user.displayName} holds ${entitlement.name} already`, {
      reason: GRANT_ERRORS.ALREADY_HELD,
    });
  return grant;
}

function date(text: string, field: string): Date {
  const at = parseIsoDateTime(text, { requireOffset: true });
  if (!at)
    throw new BadInputError(
      field,
      `"${text}" is not an ISO 8601 date-time with an offset`,
      GRANT_ERRORS.PERIOD,
    );
  return at;
}
