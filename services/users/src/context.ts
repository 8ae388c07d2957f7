import type DataLoader from 'dataloader';
import { createGroupLoader, createLoader, type RequestContext, type ServiceRuntime } from '@concierge/kit';
import { auditModel } from './data/audit.model';
import { AuditRepository } from './data/audit.repository';
import { organizationModel } from './data/organization.model';
import { OrganizationRepository, type Organization } from './data/organization.repository';
import { userModel } from './data/user.model';
import { UserRepository, type User } from './data/user.repository';
import type { CredentialEffects } from './credentials/provisioning';
import type { CredentialRuntime } from './credentials/runtime';
import type { UsersDeps } from './domain/deps';
import { OrgTree } from './domain/organizations/org-tree';

export interface UsersContext extends RequestContext {
  users: UserRepository;
  orgs: OrganizationRepository;
  /** The audit trail (read-only from requests; the consumer writes it). */
  audit: AuditRepository;
  userById: DataLoader<string, User | null>;
  directReports: DataLoader<string, User[]>;
  /** The organisation tree, read once per request when first needed. */
  tree(): Promise<OrgTree<Organization>>;
  runtime: ServiceRuntime;
  /** Credential stores, settings and the access-token signer (one per process). */
  credentials: CredentialRuntime;
}

/** Per-request context: repositories and fresh DataLoaders. */
export function createContext(
  base: RequestContext,
  runtime: ServiceRuntime,
  credentials: CredentialRuntime,
): UsersContext {
  const users = new UserRepository(userModel(runtime.db));
  const orgs = new OrganizationRepository(organizationModel(runtime.db));
  let tree: Promise<OrgTree<Organization>> | null = null;
  return {
    ...base,
    runtime,
    credentials,
    users,
    orgs,
    audit: new AuditRepository(auditModel(runtime.db)),
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

/** What a use case needs from the request: stores, contracts, who and which request. */
export function useCaseDeps(ctx: UsersContext): UsersDeps & { credentialEffects: CredentialEffects } {
  return {
    credentialEffects: ctx.credentials.effects,
    users: ctx.users,
    orgs: ctx.orgs,
    contracts: ctx.runtime.contracts,
    actor: ctx.principal.userId ?? 'anonymous',
    correlationId: ctx.correlationId,
  };
}
