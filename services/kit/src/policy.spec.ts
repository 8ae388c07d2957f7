import { policy } from './policy';
import { ANONYMOUS, type Principal } from './principal';

const admin: Principal = { kind: 'user', userId: 'a', roles: ['admin'] };
const ada: Principal = { kind: 'user', userId: 'ada', roles: [] };

describe('policy', () => {
  it('lets a global administrator do everything', () => {
    expect(policy.can(admin, 'user:update', { userId: 'x', organizationId: 'o' })).toBe(true);
    expect(policy.can(admin, 'audit:read')).toBe(true);
  });

  it('lets a user read their own profile and change their own password, nothing else', () => {
    expect(policy.can(ada, 'user:read', { userId: 'ada' })).toBe(true);
    expect(policy.can(ada, 'credential:change-own', { userId: 'ada' })).toBe(true);
    expect(policy.can(ada, 'user:read', { userId: 'bob' })).toBe(false);
    expect(policy.can(ada, 'user:update', { userId: 'ada' })).toBe(false);
    expect(policy.can(ada, 'organization:read')).toBe(false);
  });

  it('refuses anonymous callers as unauthenticated and others as forbidden', () => {
    expect(() => policy.require(ANONYMOUS, 'user:read', { userId: 'ada' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    );
    expect(() => policy.require(ada, 'user:list')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    );
  });

  it('lets a line manager request and read access, and manage deputies, for direct and indirect reports only', () => {
    const chain = { userId: 'ada', managerIds: ['bob', 'carol'] };
    const bob: Principal = { kind: 'user', userId: 'bob', roles: [] };
    const carol: Principal = { kind: 'user', userId: 'carol', roles: [] };
    expect(policy.can(bob, 'access:request', chain)).toBe(true);
    expect(policy.can(carol, 'access:read', chain)).toBe(true);
    expect(policy.can(carol, 'delegation:manage', chain)).toBe(true);
    expect(policy.can(bob, 'user:update', chain)).toBe(false);
    expect(policy.can(bob, 'access:request', { userId: 'dan', managerIds: ['erin'] })).toBe(false);
  });

  it("lets an application's owners manage it and its grants, not another application", () => {
    const owned = { applicationOwnerIds: ['ada'] };
    expect(policy.can(ada, 'application:manage', owned)).toBe(true);
    expect(policy.can(ada, 'grant:manage', owned)).toBe(true);
    expect(policy.can(ada, 'application:manage', { applicationOwnerIds: ['bob'] })).toBe(false);
    expect(policy.can(ada, 'application:create')).toBe(false);
    expect(policy.can(ada, 'birthright-rule:manage', owned)).toBe(false);
  });

  it('when a benchmark turns authorization off, then every signed-in user may do everything and anonymous callers still may not', () => {
    // A fresh copy of the modules: the switch is one-way for the process that flips it.
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const fresh = require('./policy') as typeof import('./policy');
      const bypass = require('./policy-bypass') as typeof import('./policy-bypass');
      /* eslint-enable @typescript-eslint/no-require-imports */
      expect(fresh.policy.can(ada, 'user:update', { userId: 'bob' })).toBe(false);
      bypass.allowEverythingForBenchmark();
      expect(fresh.policy.can(ada, 'user:update', { userId: 'bob' })).toBe(true);
      expect(fresh.policy.isAdmin(ada)).toBe(true);
      expect(fresh.policy.can(ANONYMOUS, 'user:read', { userId: 'ada' })).toBe(false);
      expect(() => fresh.policy.require(ANONYMOUS, 'user:read')).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
      );
    });
    // This file's own copy was never switched.
    expect(policy.can(ada, 'user:update', { userId: 'bob' })).toBe(false);
  });
});
