import type { Principal } from '@concierge/kit';
import type { EventDeps } from '../deputies/delegation.events';
import type { ApplicationsRepository } from '../directory/applications.repository';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { OrganizationsRepository } from '../directory/organizations.repository';
import type { AdminRolesRepository } from './admin-roles.repository';

/** What the admin-role use cases need: the stores, who acts (with their grants), and the events' needs. */
export interface AdminRolesDeps extends EventDeps {
  adminRoles: AdminRolesRepository;
  directory: DirectoryRepository;
  organizations: OrganizationsRepository;
  applications: ApplicationsRepository;
  /** The caller, as the gateway signed them: their global roles and live scoped grants. */
  principal: Principal;
  now?: Date;
}
