import {
  BUILT_IN_ROLES,
  parseGrants,
  scopeCovers,
  scopeReaches,
  tokenGrants,
  type Scope,
} from './admin-roles';
import { policy } from './policy';
import type { Principal } from './principal';

// A tree: root > emea > (sales, ops); partner acme > acme-eu.
const path = {
  root: ['root'],
  emea: ['emea', 'root'],
  sales: ['sales', 'emea', 'root'],
  ops: ['ops', 'emea', 'root'],
  acme: ['acme'],
  acmeEu: ['acme-eu', 'acme'],
};
const emeaTree: Scope = { kind: 'ORGANIZATION', id: 'emea', subtree: true };
const emeaOnly: Scope = { kind: 'ORGANIZATION', id: 'emea', subtree: false };
const acme: Scope = { kind: 'PARTNER', id: 'acme' };
const crm: Scope = { kind: 'APPLICATION', id: 'crm' };

function holder(...grants: { role: keyof typeof BUILT_IN_ROLES; scope: Scope }[]): Principal {
  return {
    kind: 'user',
    userId: 'h',
    roles: [],
    grants: grants.map((g) => ({ capabilities: BUILT_IN_ROLES[g.role], scope: g.scope })),
  };
}

describe('admin scopes', () => {
  it('reach an organisation, its subtree only when asked, a partner with its subtree, one application', () => {
    expect(scopeReaches(emeaTree, { organizationPath: path.sales })).toBe(true);
    expect(scopeReaches(emeaTree, { organizationPath: path.root })).toBe(false);
    expect(scopeReaches(emeaOnly, { organizationPath: path.emea })).toBe(true);
    expect(scopeReaches(emeaOnly, { organizationPath: path.sales })).toBe(false);
    expect(scopeReaches(acme, { organizationPath: path.acmeEu })).toBe(true);
    expect(scopeReaches(acme, { organizationPath: path.sales })).toBe(false);
    expect(scopeReaches(crm, { applicationId: 'crm' })).toBe(true);
    expect(scopeReaches(crm, { applicationId: 'erp', organizationPath: path.sales })).toBe(false);
    expect(scopeReaches({ kind: 'GLOBAL' }, {})).toBe(true);
  });

  it('cover a narrower scope, never a wider or a foreign one', () => {
    const sales: Scope = { kind: 'ORGANIZATION', id: 'sales', subtree: true };
    expect(scopeCovers(emeaTree, sales, path.sales)).toBe(true);
    expect(scopeCovers(emeaTree, emeaOnly, path.emea)).toBe(true);
    expect(scopeCovers(emeaOnly, emeaTree, path.emea)).toBe(false);
    expect(scopeCovers(emeaOnly, sales, path.sales)).toBe(false);
    expect(scopeCovers(sales, emeaTree, path.emea)).toBe(false);
    expect(scopeCovers(emeaTree, { kind: 'GLOBAL' })).toBe(false);
    expect(scopeCovers(emeaTree, crm)).toBe(false);
    expect(scopeCovers(crm, crm)).toBe(true);
    expect(scopeCovers(crm, { kind: 'APPLICATION', id: 'erp' })).toBe(false);
    expect(scopeCovers(acme, { kind: 'ORGANIZATION', id: 'acme-eu', subtree: true }, path.acmeEu)).toBe(true);
    expect(scopeCovers(acme, { kind: 'PARTNER', id: 'acme' }, path.acme)).toBe(true);
    expect(scopeCovers(emeaTree, acme, path.acme)).toBe(false);
    expect(scopeCovers({ kind: 'GLOBAL' }, acme, path.acme)).toBe(true);
  });

  it('keep only well-formed grants of known capabilities from a signed principal', () => {
    expect(
      parseGrants([
        {
          capabilities: ['user:read', 'root:everything'],
          scope: { kind: 'ORGANIZATION', id: 'emea', subtree: true },
        },
        { capabilities: ['user:read'], scope: { kind: 'ORGANIZATION' } },
        { capabilities: ['made:up'], scope: { kind: 'GLOBAL' } },
        'junk',
      ]),
    ).toEqual([{ capabilities: ['user:read'], scope: emeaTree }]);
    expect(parseGrants(undefined)).toEqual([]);
  });
});

describe('policy with scoped admin roles', () => {
  it('lets a USER_ADMIN of a subtree manage users there and nowhere else', () => {
    const p = holder({ role: 'USER_ADMIN', scope: emeaTree });
    expect(policy.can(p, 'user:update', { userId: 'x', organizationPath: path.sales })).toBe(true);
    expect(policy.can(p, 'user:lifecycle', { userId: 'x', organizationPath: path.emea })).toBe(true);
    expect(policy.can(p, 'user:update', { userId: 'x', organizationPath: path.root })).toBe(false);
    expect(policy.can(p, 'user:update', { userId: 'x', organizationPath: path.acmeEu })).toBe(false);
    // Without the path only the organisation itself is checked: a subtree grant reaches no deeper.
    expect(policy.can(p, 'user:update', { userId: 'x', organizationId: 'sales' })).toBe(false);
    expect(policy.can(p, 'user:update', { userId: 'x', organizationId: 'emea' })).toBe(true);
    expect(policy.can(p, 'audit:read', { organizationPath: path.sales })).toBe(false);
  });

  it('gives each built-in role its own list and nothing implied', () => {
    const at = { userId: 'x', organizationPath: path.sales };
    const helpdesk = holder({ role: 'HELPDESK', scope: emeaTree });
    expect(policy.can(helpdesk, 'credential:reset', at)).toBe(true);
    expect(policy.can(helpdesk, 'credential:unlock', at)).toBe(true);
    expect(policy.can(helpdesk, 'user:update', at)).toBe(false);
    expect(policy.can(helpdesk, 'admin-role:assign', at)).toBe(false);
    const auditor = holder({ role: 'AUDITOR', scope: { kind: 'GLOBAL' } });
    expect(policy.can(auditor, 'audit:read')).toBe(true);
    expect(policy.can(auditor, 'user:read', at)).toBe(false);
    const accessAdmin = holder({ role: 'ACCESS_ADMIN', scope: crm });
    expect(policy.can(accessAdmin, 'grant:manage', { applicationId: 'crm' })).toBe(true);
    expect(policy.can(accessAdmin, 'grant:manage', { applicationId: 'erp' })).toBe(false);
    expect(policy.can(accessAdmin, 'user:read', at)).toBe(false);
  });

  it("lets a PARTNER_ADMIN act on their partner's users only", () => {
    const p = holder({ role: 'PARTNER_ADMIN', scope: acme });
    expect(policy.can(p, 'user:create', { organizationPath: path.acmeEu })).toBe(true);
    expect(policy.can(p, 'user:read', { userId: 'x', organizationPath: path.acme })).toBe(true);
    expect(policy.can(p, 'user:read', { userId: 'x', organizationPath: path.sales })).toBe(false);
    expect(policy.can(p, 'credential:reset', { userId: 'x', organizationPath: path.acme })).toBe(false);
  });
});

describe('API token grants', () => {
  const token = {
    capabilities: ['user:read', 'user:list', 'admin-role:assign'] as const,
    organizationId: 'sales',
    applicationIds: null,
  };
  const asToken = (grants: ReturnType<typeof tokenGrants>): Principal => ({
    kind: 'user',
    userId: 'api-token:t',
    roles: [],
    grants,
  });

  it("are the creator's grants now, cut to the token's capabilities and confined to its organisation", () => {
    const creator = { roles: [], grants: [{ capabilities: BUILT_IN_ROLES.USER_ADMIN, scope: emeaTree }] };
    const p = asToken(tokenGrants(creator, token));
    expect(policy.can(p, 'user:read', { userId: 'x', organizationPath: path.sales })).toBe(true);
    // Above the token's organisation, though inside the creator's scope.
    expect(policy.can(p, 'user:read', { userId: 'x', organizationPath: path.emea })).toBe(false);
    expect(policy.can(p, 'user:update', { userId: 'x', organizationPath: path.sales })).toBe(false);
    // Never the power to hand power on, even when asked for and held.
    expect(policy.can(p, 'admin-role:assign', { organizationPath: path.sales })).toBe(false);
  });

  it('hold nothing once the creator holds nothing there, and a global administrator gives only the token organisation', () => {
    expect(tokenGrants({ roles: [], grants: [] }, token)).toEqual([]);
    const opsOnly = {
      roles: [],
      grants: [
        {
          capabilities: BUILT_IN_ROLES.USER_ADMIN,
          scope: { kind: 'ORGANIZATION', id: 'ops', subtree: true } as Scope,
        },
      ],
    };
    expect(
      policy.can(asToken(tokenGrants(opsOnly, token)), 'user:read', {
        userId: 'x',
        organizationPath: path.sales,
      }),
    ).toBe(false);
    const admin = asToken(tokenGrants({ roles: ['admin'] }, token));
    expect(policy.can(admin, 'user:list', { organizationPath: path.acmeEu })).toBe(false);
    expect(policy.can(admin, 'user:list', { organizationPath: path.sales })).toBe(true);
    expect(policy.isAdmin(admin)).toBe(false);
  });

  it('survive signing only whole: a confine that does not parse drops the grant', () => {
    expect(
      parseGrants([
        {
          capabilities: ['user:read'],
          scope: { kind: 'GLOBAL' },
          within: [{ kind: 'ORGANIZATION', id: 'sales', subtree: true }, { kind: 'BOGUS' }],
        },
      ]),
    ).toEqual([]);
  });
});
