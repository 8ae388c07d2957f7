import { ForbiddenError, UnauthenticatedError } from './errors';
import { grantReaches, type Capability } from './admin-roles';
import type { Principal } from './principal';
import { benchmarkAllowsEverything } from './policy-bypass';

/** The thing acted on: a user and/or the organisation it belongs to, or an application. */
export interface Resource {
  userId?: string;
  organizationId?: string;
  /**
   * The organisation and the ones above it, nearest first: what scoped admin roles are checked
   * against. Without it, only `organizationId` itself is (a subtree grant then reaches no deeper).
   */
  organizationPath?: readonly string[];
  /** The application acted on (its catalogue, policies, grants). */
  applicationId?: string;
  /** The managers above `userId`, nearest first (line managers act for their reports). */
  managerIds?: readonly string[];
  /** The owners of the application acted on. */
  applicationOwnerIds?: readonly string[];
}

/** Capabilities a signed-in user holds on their own record without any role. */
const SELF: ReadonlySet<Capability> = new Set([
  'user:read',
  'credential:change-own',
  'access:request',
  'access:read',
  'delegation:manage',
]);
/**
 * What a line manager may do for their direct and indirect reports: see them and their access,
 * request access for them (and the removal of a grant, through its policy), manage their deputies.
 */
const LINE_MANAGER: ReadonlySet<Capability> = new Set([
  'user:read',
  'access:request',
  'access:read',
  'delegation:manage',
]);
/** What an application's owners may do on it. */
const APPLICATION_OWNER: ReadonlySet<Capability> = new Set([
  'application:manage',
  'approval-policy:manage',
  'access:read',
  'grant:manage',
]);

/** Whether one of the principal's scoped grants holds `capability` where `resource` is. */
function heldInScope(principal: Principal, capability: Capability, resource: Resource): boolean {
  const grants = principal.grants;
  if (!grants?.length) return false;
  const place = {
    organizationPath: resource.organizationPath ?? (resource.organizationId ? [resource.organizationId] : []),
    applicationId: resource.applicationId,
  };
  return grants.some((g) => g.capabilities.includes(capability) && grantReaches(g, place));
}

type SignedIn = Principal & { kind: 'user'; userId: string };

interface Policy {
  /** Whether the principal may exercise `capability` on `resource`. */
  can(principal: Principal, capability: Capability, resource?: Resource): boolean;
  /** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN when `can` says no. */
  require(principal: Principal, capability: Capability, resource?: Resource): asserts principal is SignedIn;
  isAdmin(principal: Principal): boolean;
  /** Whether the principal holds `capability` somewhere through a global role or an admin role (not as self, manager or owner). */
  holdsAnywhere(principal: Principal, capability: Capability): boolean;
  isSelfOrAdmin(principal: Principal, userId: string): boolean;
  requireUser(principal: Principal): asserts principal is SignedIn;
  requireAdmin(principal: Principal): void;
  requireSelfOrAdmin(principal: Principal, userId: string): void;
}

export const policy: Policy = {
  can(principal, capability, resource = {}) {
    if (principal.kind !== 'user' || !principal.userId) return false;
    // isAdmin says yes to everyone signed in once a benchmark has turned authorization off.
    if (policy.isAdmin(principal)) return true;
    const me = principal.userId;
    if (SELF.has(capability) && resource.userId === me) return true;
    if (LINE_MANAGER.has(capability) && resource.managerIds?.includes(me)) return true;
    if (APPLICATION_OWNER.has(capability) && resource.applicationOwnerIds?.includes(me)) return true;
    return heldInScope(principal, capability, resource);
  },
  require(principal, capability, resource) {
    policy.requireUser(principal);
    if (!policy.can(principal, capability, resource)) {
      throw new ForbiddenError(`You do not hold the capability ${capability} here`);
    }
  },
  isAdmin(principal) {
    if (principal.kind !== 'user') return false;
    // Never true in a service: only a benchmark's runner turns it on (policy-bypass.ts).
    if (benchmarkAllowsEverything()) return !!principal.userId;
    return principal.roles.includes('admin');
  },
  holdsAnywhere(principal, capability) {
    return (
      policy.isAdmin(principal) || (principal.grants ?? []).some((g) => g.capabilities.includes(capability))
    );
  },
  /** The caller is the user themselves, or an administrator. */
  isSelfOrAdmin(principal, userId) {
    return policy.can(principal, 'user:read', { userId });
  },
  requireUser(principal) {
    if (principal.kind !== 'user' || !principal.userId) throw new UnauthenticatedError();
  },
  requireAdmin(principal) {
    policy.requireUser(principal);
    if (!policy.isAdmin(principal)) throw new ForbiddenError('Only an administrator may do this');
  },
  requireSelfOrAdmin(principal, userId) {
    policy.requireUser(principal);
    if (!policy.isSelfOrAdmin(principal, userId)) throw new ForbiddenError('You may only see your own data');
  },
};
