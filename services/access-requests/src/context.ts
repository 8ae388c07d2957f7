import type DataLoader from 'dataloader';
import {
  createLoader,
  policy,
  type RequestContext,
  type Resource,
  type ServiceRuntime,
} from '@concierge/kit';
import type { Application } from './catalog/application';
import type { DirectoryUser } from './directory/directory.model';
import type { Grant } from './grants/grant';
import type { ApprovalPolicy } from './policies/approval-policy';
import type { AccessRequest } from './requests/access-request';
import type { AccessStores } from './stores';

/** What every resolver of this service has: the request, the runtime, the stores and per-request loaders. */
export interface AccessContext extends RequestContext {
  runtime: ServiceRuntime;
  stores: AccessStores;
  applicationById: DataLoader<string, Application | null>;
  policyById: DataLoader<string, ApprovalPolicy | null>;
  requestById: DataLoader<string, AccessRequest | null>;
  grantById: DataLoader<string, Grant | null>;
  userById: DataLoader<string, DirectoryUser | null>;
  /** The managers above a user (nearest first), read once per request. */
  managerIdsOf(userId: string): Promise<string[]>;
  /**
   * A person as the policy sees them: who, the managers above them, and their organisation with
   * the ones above it (scoped admin roles reach people by organisation).
   */
  personOf(userId: string): Promise<Resource>;
  /**
   * The partner organisation the caller belongs to (a person's nearest PARTNER organisation, an
   * API token's organisation's), or null; read once per request. A partner's people see only what
   * is provided to their partner.
   */
  callerPartner(): Promise<string | null>;
}

/** An application as the policy sees it: which, and who owns it. */
export function applicationPlace(application: Pick<Application, '_id' | 'ownerIds'>): Resource {
  return { applicationId: application._id, applicationOwnerIds: application.ownerIds };
}

/** The application `applicationId` as the policy sees it (without owners when it does not exist). */
export async function applicationPlaceOf(ctx: AccessContext, applicationId: string): Promise<Resource> {
  const application = await ctx.applicationById.load(applicationId);
  return application ? applicationPlace(application) : { applicationId, applicationOwnerIds: [] };
}

async function partnerOfCaller(ctx: AccessContext): Promise<string | null> {
  const principal = ctx.principal;
  if (principal.kind !== 'user' || !principal.userId || policy.isAdmin(principal)) return null;
  // An API token is confined to its organisation; a person belongs to theirs.
  const confines = (principal.grants ?? []).flatMap((g) => g.within ?? []);
  const organizations = confines.length
    ? confines.flatMap((w) => (w.kind === 'ORGANIZATION' ? [w.id] : []))
    : [(await ctx.userById.load(principal.userId))?.organizationId].filter((o): o is string => !!o);
  for (const organizationId of organizations) {
    const found = await ctx.stores.directory.partnerOf(organizationId);
    if (found) return found;
  }
  return null;
}

/** Per-request context: the process's stores and fresh DataLoaders. */
export function createContext(
  base: RequestContext,
  runtime: ServiceRuntime,
  stores: AccessStores,
): AccessContext {
  const chains = new Map<string, Promise<string[]>>();
  const paths = new Map<string, Promise<string[]>>();
  const pathOf = (organizationId: string) => {
    let path = paths.get(organizationId);
    if (!path) {
      path = stores.directory.organizationPath(organizationId);
      paths.set(organizationId, path);
    }
    return path;
  };
  let partner: Promise<string | null> | null = null;
  const context: AccessContext = {
    ...base,
    runtime,
    stores,
    applicationById: createLoader(
      (ids) => stores.applications.findByIds(ids),
      (a) => a._id,
    ),
    policyById: createLoader(
      (ids) => stores.policies.findByIds(ids),
      (p) => p._id,
    ),
    requestById: createLoader(
      (ids) => stores.requests.findByIds(ids),
      (r) => r._id,
    ),
    grantById: createLoader(
      (ids) => stores.grants.findByIds(ids),
      (g) => g._id,
    ),
    userById: createLoader(
      (ids) => stores.directory.usersByIds(ids),
      (u) => u._id,
    ),
    managerIdsOf(userId) {
      let chain = chains.get(userId);
      if (!chain) {
        chain = stores.directory.managerChain(userId).then((list) => list.map((u) => u._id));
        chains.set(userId, chain);
      }
      return chain;
    },
    async personOf(userId) {
      const [managerIds, user] = await Promise.all([
        context.managerIdsOf(userId),
        context.userById.load(userId),
      ]);
      const organizationPath = user?.organizationId ? await pathOf(user.organizationId) : [];
      return { userId, managerIds, organizationPath };
    },
    callerPartner() {
      partner ??= partnerOfCaller(context);
      return partner;
    },
  };
  return context;
}
