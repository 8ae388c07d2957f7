import type { Connection } from 'mongoose';
import type { Logger } from '@concierge/kit';
import { AdminRolesRepository } from './admin-roles/admin-roles.repository';
import { assignmentModel, customRoleModel } from './admin-roles/admin-roles.model';
import { ApiTokenRepository } from './api-tokens/api-tokens.repository';
import { ApplicationsRepository } from './directory/applications.repository';
import { directoryOrganizationModel } from './directory/directory-organization.model';
import { directoryUserModel } from './directory/directory-user.model';
import { OrganizationsRepository } from './directory/organizations.repository';
import { DirectoryRepository } from './directory/directory.repository';
import { CreationLease } from './deputies/creation-lease';
import { delegationModel } from './deputies/delegation.model';
import { DelegationRepository } from './deputies/delegation.repository';

/** Every store of the delegation service, built once per process and passed down. */
export interface DelegationStores {
  directory: DirectoryRepository;
  organizations: OrganizationsRepository;
  applications: ApplicationsRepository;
  delegations: DelegationRepository;
  lease: CreationLease;
  adminRoles: AdminRolesRepository;
  tokens: ApiTokenRepository;
}

/** `onCommitted` runs after every committed change of a delegation (the service kicks its relay). */
export function createStores(
  db: Connection,
  options: { onCommitted?: () => void; logger?: Logger } = {},
): DelegationStores {
  return {
    directory: new DirectoryRepository(directoryUserModel(db)),
    organizations: new OrganizationsRepository(directoryOrganizationModel(db)),
    applications: new ApplicationsRepository(db),
    delegations: new DelegationRepository(delegationModel(db), options),
    lease: new CreationLease(db),
    adminRoles: new AdminRolesRepository(
      { assignments: assignmentModel(db), roles: customRoleModel(db) },
      options,
    ),
    tokens: new ApiTokenRepository(db, options),
  };
}

/** Creates every collection's indexes. */
export async function initStores(stores: DelegationStores): Promise<void> {
  await stores.directory.init();
  await stores.organizations.init();
  await stores.applications.init();
  await stores.delegations.init();
  await stores.adminRoles.init();
  await stores.tokens.init();
}
