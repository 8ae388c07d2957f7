import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Principal } from './principal';

/**
 * The one place services ask "may this principal do this?". Global roles only for now; scoped admin
 * roles (delegation service) extend `allows` without touching the resolvers that call `require*`.
 */
interface Policy {
  isAdmin(principal: Principal): boolean;
  isSelfOrAdmin(principal: Principal, userId: string): boolean;
  requireUser(principal: Principal): asserts principal is Principal & { kind: 'user'; userId: string };
  requireAdmin(principal: Principal): void;
  requireSelfOrAdmin(principal: Principal, userId: string): void;
}

export const policy: Policy = {
  isAdmin(principal: Principal): boolean {
    return principal.kind === 'user' && principal.roles.includes('admin');
  },
  /** The caller is the user themselves, or an administrator. */
  isSelfOrAdmin(principal: Principal, userId: string): boolean {
    return (principal.kind === 'user' && principal.userId === userId) || policy.isAdmin(principal);
  },
  requireUser(principal: Principal): asserts principal is Principal & { kind: 'user'; userId: string } {
    if (principal.kind !== 'user' || !principal.userId) throw new UnauthenticatedError();
  },
  requireAdmin(principal: Principal): void {
    policy.requireUser(principal);
    if (!policy.isAdmin(principal)) throw new ForbiddenError('Only an administrator may do this');
  },
  requireSelfOrAdmin(principal: Principal, userId: string): void {
    policy.requireUser(principal);
    if (!policy.isSelfOrAdmin(principal, userId)) throw new ForbiddenError('You may only see your own data');
  },
};
