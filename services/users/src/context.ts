import { createGroupLoader, createLoader, type RequestContext, type ServiceRuntime } from '@concierge/kit';
import type { AuditContext } from './audit/resolvers';
import type { CredentialsContext } from './credentials/resolvers';
import type { CredentialRuntime } from './credentials/runtime';
import type { DirectoryContext } from './directory/resolvers';
import type { ImportContext } from './import/resolvers';
import { OrgTree } from './organizations/org-tree';
import type { Organization } from './organizations/organization.repository';
import type { UsersStores } from './stores';

/** The whole request context: what every component's resolvers need (each declares its part). */
export interface UsersContext extends DirectoryContext, CredentialsContext, ImportContext, AuditContext {}

/** Per-request context: the process's stores and fresh DataLoaders. */
export function createContext(
  base: RequestContext,
  runtime: ServiceRuntime,
  stores: UsersStores,
  credentials: CredentialRuntime,
): UsersContext {
  const { users, orgs } = stores;
  let tree: Promise<OrgTree<Organization>> | null = null;
  return {
    ...base,
    runtime,
    credentials,
    credentialEffects: credentials.effects,
    users,
    orgs,
    audit: stores.audit,
    importJobs: stores.importJobs,
    userById: createLoader(
      (ids) => users.findByIds(ids),
      (u) => u._id,
    ),
    directReports: createGroupLoader(
      (ids) => users.findByManagerIds(ids),
      (u) => u.managerId as string,
    ),
    tree: () => (tree ??= orgs.all().then((all) => new OrgTree(all))),
  };
}
