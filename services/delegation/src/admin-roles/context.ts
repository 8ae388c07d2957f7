import type { RequestContext, ServiceRuntime } from '@concierge/kit';
import type { ApplicationsRepository } from '../directory/applications.repository';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { OrganizationsRepository } from '../directory/organizations.repository';
import type { AdminRolesRepository } from './admin-roles.repository';

/** What the admin roles' resolvers need of a request. */
export interface AdminRolesContext extends RequestContext {
  runtime: ServiceRuntime;
  adminRoles: AdminRolesRepository;
  directory: DirectoryRepository;
  organizations: OrganizationsRepository;
  applications: ApplicationsRepository;
}
