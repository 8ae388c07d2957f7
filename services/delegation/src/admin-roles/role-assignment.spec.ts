import { BUILT_IN_ROLES, type Principal, type Scope } from '@concierge/kit';
import { missingAuthority, reachesAssignee } from './authority';
import { customRoleOf, grantsAt, periodOf, scopeOf, type RoleAssignment } from './role-assignment';

const now = new Date('2026-06-01T12:00:00Z');
const at = (iso: string) => new Date(iso);

function assignment(over: Partial<RoleAssignment>): RoleAssignment {
  return {
    _id: 'a1',
    version: 1,
    userId: 'u',
    role: 'HELPDESK',
    capabilities: [...BUILT_IN_ROLES.HELPDESK],
    scope: { kind: 'ORGANIZATION', id: 'emea', subtree: true },
    validFrom: at('2026-01-01T00:00:00Z'),
    validTo: null,
    reason: null,
    assignedBy: 'admin',
    assignedAt: at('2026-01-01T00:00:00Z'),
    revokedBy: null,
    revokedAt: null,
    revokeReason: null,
    ...over,
  };
}

describe('role assignments', () => {
  it('give their grants within their period only, and say when the answer changes next', () => {
    const live = assignment({ _id: 'live', validTo: at('2026-06-02T00:00:00Z') });
    const later = assignment({ _id: 'later', validFrom: at('2026-06-01T18:00:00Z') });
    const over = assignment({ _id: 'over', validTo: at('2026-05-01T00:00:00Z') });
    const revoked = assignment({ _id: 'revoked', revokedAt: at('2026-05-01T00:00:00Z') });
    const { grants, changesAt } = grantsAt([live, later, over, revoked], now);
    expect(grants).toEqual([{ capabilities: live.capabilities, scope: live.scope }]);
    expect(changesAt).toEqual(at('2026-06-01T18:00:00Z'));
    expect(grantsAt([revoked, over], now)).toEqual({ grants: [], changesAt: null });
  });

  it('refuse a period that is empty, over or malformed', () => {
    expect(periodOf({}, now)).toEqual({ from: now, to: null });
    expect(() => periodOf({ validTo: '2026-05-01T00:00:00Z' }, now)).toThrow(/after validFrom/);
    expect(() =>
      periodOf({ validFrom: '2026-07-01T00:00:00Z', validTo: '2026-06-15T00:00:00Z' }, now),
    ).toThrow(/after validFrom/);
    expect(() => periodOf({ validTo: 'tomorrow' }, now)).toThrow(/ISO 8601/);
  });

  it('take a scope that says what it means', () => {
    expect(scopeOf({ kind: 'GLOBAL' })).toEqual({ kind: 'GLOBAL' });
    expect(scopeOf({ kind: 'ORGANIZATION', id: 'o' })).toEqual({
      kind: 'ORGANIZATION',
      id: 'o',
      subtree: false,
    });
    expect(scopeOf({ kind: 'PARTNER', id: 'p' })).toEqual({ kind: 'PARTNER', id: 'p' });
    expect(() => scopeOf({ kind: 'GLOBAL', id: 'o' })).toThrow(/global scope/);
    expect(() => scopeOf({ kind: 'APPLICATION', id: ' ' })).toThrow(/needs an id/);
    expect(() => scopeOf({ kind: 'APPLICATION', id: 'a', subtree: false })).toThrow(/subtree/);
  });

  it('define a custom role from known capabilities under a name no built-in role has', () => {
    expect(customRoleOf('READER', ['user:read', 'user:list', 'user:read'])).toEqual({
      name: 'READER',
      capabilities: ['user:list', 'user:read'],
    });
    expect(() => customRoleOf('USER_ADMIN', ['user:read'])).toThrow(/built-in/);
    expect(() => customRoleOf('reader', ['user:read'])).toThrow(/upper-case/);
    expect(() => customRoleOf('READER', ['user:read', 'everything'])).toThrow(
      /Unknown capabilities: everything/,
    );
    expect(() => customRoleOf('READER', [])).toThrow(/at least one/);
  });
});

describe('authority to assign', () => {
  const emea: Scope = { kind: 'ORGANIZATION', id: 'emea', subtree: true };
  const sales: Scope = { kind: 'ORGANIZATION', id: 'sales', subtree: false };
  const salesPath = ['sales', 'emea', 'root'];
  const userAdmin: Principal = {
    kind: 'user',
    userId: 'uma',
    roles: [],
    grants: [{ capabilities: BUILT_IN_ROLES.USER_ADMIN, scope: emea }],
  };

  it('holds for what the assigner holds, with the right to assign, in a covering scope', () => {
    expect(missingAuthority(userAdmin, sales, salesPath, BUILT_IN_ROLES.HELPDESK)).toEqual([]);
    expect(missingAuthority(userAdmin, sales, salesPath, BUILT_IN_ROLES.AUDITOR)).toEqual(['audit:read']);
    expect(missingAuthority(userAdmin, { kind: 'GLOBAL' }, [], BUILT_IN_ROLES.HELPDESK)).toEqual([
      'admin-role:assign',
      'user:read',
      'user:list',
      'credential:reset',
      'credential:unlock',
    ]);
    const helpdesk: Principal = {
      ...userAdmin,
      grants: [{ capabilities: BUILT_IN_ROLES.HELPDESK, scope: emea }],
    };
    expect(missingAuthority(helpdesk, sales, salesPath, BUILT_IN_ROLES.HELPDESK)).toEqual([
      'admin-role:assign',
    ]);
    const globalAdmin: Principal = { kind: 'user', userId: 'g', roles: ['admin'] };
    expect(missingAuthority(globalAdmin, { kind: 'GLOBAL' }, [], BUILT_IN_ROLES.AUDITOR)).toEqual([]);
  });

  it('reaches only people in the assigner’s part of the business, unless the right is over an application', () => {
    expect(reachesAssignee(userAdmin, salesPath)).toBe(true);
    expect(reachesAssignee(userAdmin, ['apac', 'root'])).toBe(false);
    const accessAdmin: Principal = {
      kind: 'user',
      userId: 'x',
      roles: [],
      grants: [{ capabilities: BUILT_IN_ROLES.ACCESS_ADMIN, scope: { kind: 'APPLICATION', id: 'crm' } }],
    };
    expect(reachesAssignee(accessAdmin, ['apac', 'root'])).toBe(true);
  });
});
