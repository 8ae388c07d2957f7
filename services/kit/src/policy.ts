import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Principal } from './principal';

/**
 * What a caller may want to do. Resolvers name the capability and the resource; the rules that
 * answer live here only, so scoped admin roles (delegation service) change this file and not the
 * resolvers.
 */
export type Capability =
  | 'user:read'
  | 'user:create'
  | 'user:update'
  | 'user:lifecycle'
  | 'user:list'
  | 'organization:read'
  | 'organization:write'
  | 'credential:change-own'
  | 'credential:reset'
  | 'audit:read'
  | 'import:run'
  // Access requests and the catalogue (access-requests service).
  | 'application:create'
  | 'application:manage'
  | 'approval-policy:manage'
  | 'birthright-rule:manage'
  | 'access:request'
  | 'access:read'
  | 'grant:manage'
  // Deputies (delegation service).
  | 'delegation:manage';

/** The thing acted on: a user and/or the organisation it belongs to, or an application. */
export interface Resource {
  userId?: string;
  organizationId?: string;
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
/** What a line manager may do for their direct and indirect reports. */
const LINE_MANAGER: ReadonlySet<Capability> = new Set(['access:request', 'access:read', 'delegation:manage']);
/** What an application's owners may do on it. */
const APPLICATION_OWNER: ReadonlySet<Capability> = new Set([
  'application:manage',
  'approval-policy:manage',
  'access:read',
  'grant:manage',
]);

type SignedIn = Principal & { kind: 'user'; userId: string };

interface Policy {
  /** Whether the principal may exercise `capability` on `resource`. */
  can(principal: Principal, capability: Capability, resource?: Resource): boolean;
  /** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN when `can` says no. */
  require(principal: Principal, capability: Capability, resource?: Resource): asserts principal is SignedIn;
  isAdmin(principal: Principal): boolean;
  isSelfOrAdmin(principal: Principal, userId: string): boolean;
  requireUser(principal: Principal): asserts principal is SignedIn;
  requireAdmin(principal: Principal): void;
  requireSelfOrAdmin(principal: Principal, userId: string): void;
}

export const policy: Policy = {
  can(principal, capability, resource = {}) {
    if (principal.kind !== 'user' || !principal.userId) return false;
    if (policy.isAdmin(principal)) return true;
    const me = principal.userId;
    if (SELF.has(capability) && resource.userId === me) return true;
    if (LINE_MANAGER.has(capability) && resource.managerIds?.includes(me)) return true;
    return APPLICATION_OWNER.has(capability) && (resource.applicationOwnerIds?.includes(me) ?? false);
  },
  require(principal, capability, resource) {
    policy.requireUser(principal);
    if (!policy.can(principal, capability, resource)) {
      throw new ForbiddenError(`You do not hold the capability ${capability} here`);
    }
  },
  isAdmin(principal) {
    return principal.kind === 'user' && principal.roles.includes('admin');
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
