import { BadInputError, NotFoundError } from '@concierge/kit';
import type { DirectoryRepository } from '../directory/directory.repository';
import { serviceEvent } from '../shared/events';
import { provisionFor, type Application, type Entitlement, type PartnerProvision } from './application';
import { CATALOG_ERRORS } from './catalog.errors';
import type { CatalogDeps } from './define-application';

/**
 * Provides an application to a partner organisation with some of its entitlements (replacing what
 * it provided before); application.updated with the partners before and after.
 */
export async function provideToPartner(
  applicationId: string,
  input: { partnerId: string; entitlementIds: readonly string[] },
  deps: CatalogDeps,
): Promise<Application> {
  const partner = await deps.directory.organization(input.partnerId);
  if (partner?.kind !== 'PARTNER')
    throw new BadInputError(
      'partnerId',
      `${input.partnerId} is not a partner organisation`,
      CATALOG_ERRORS.NOT_A_PARTNER,
    );
  const entitlementIds = [...new Set(input.entitlementIds)].sort();
  if (entitlementIds.length === 0)
    throw new BadInputError(
      'entitlementIds',
      'Name at least one entitlement',
      CATALOG_ERRORS.UNKNOWN_ENTITLEMENT,
    );
  return changePartners(applicationId, deps, (app) => {
    const unknown = entitlementIds.filter((id) => !app.entitlementIds.includes(id));
    if (unknown.length > 0)
      throw new BadInputError(
        'entitlementIds',
        `${app.name} has no entitlement ${unknown[0]}`,
        CATALOG_ERRORS.UNKNOWN_ENTITLEMENT,
      );
    const others = (app.partners ?? []).filter((p) => p.organizationId !== input.partnerId);
    return [...others, { organizationId: input.partnerId, entitlementIds }];
  });
}

/** Stops providing an application to a partner; application.updated. Nothing to withdraw changes nothing. */
export async function withdrawFromPartner(
  applicationId: string,
  partnerId: string,
  deps: CatalogDeps,
): Promise<Application> {
  return changePartners(applicationId, deps, (app) =>
    (app.partners ?? []).filter((p) => p.organizationId !== partnerId),
  );
}

async function changePartners(
  applicationId: string,
  deps: CatalogDeps,
  decide: (app: Application) => PartnerProvision[],
): Promise<Application> {
  const result = await deps.applications.store.update(applicationId, (app) => {
    const before = app.partners ?? [];
    const after = decide(app).sort((a, b) => a.organizationId.localeCompare(b.organizationId));
    if (JSON.stringify(before) === JSON.stringify(after)) return null;
    const next = { ...app, partners: after, updatedAt: deps.now };
    const changes = { partners: { before, after } };
    return {
      next,
      events: [serviceEvent(deps, 'application.updated', applicationId, { applicationId, changes })],
    };
  });
  if (!result) throw new NotFoundError('Application', applicationId);
  return result.state as Application;
}

/**
 * A partner's people may hold only what their partner organisation is provided with: throws
 * BAD_USER_INPUT (APPLICATION.NOT_PROVIDED) otherwise. People of no partner are not limited here.
 */
export async function requireProvided(
  application: Application,
  entitlement: Pick<Entitlement, 'id' | 'name'>,
  beneficiaryOrganizationId: string,
  directory: DirectoryRepository,
): Promise<void> {
  const partnerId = await directory.partnerOf(beneficiaryOrganizationId);
  if (!partnerId) return;
  if (provisionFor(application, partnerId)?.entitlementIds.includes(entitlement.id)) return;
  throw new BadInputError(
    'entitlementId',
    `${application.name}: ${entitlement.name} is not provided to this user's partner organisation`,
    CATALOG_ERRORS.NOT_PROVIDED,
  );
}
