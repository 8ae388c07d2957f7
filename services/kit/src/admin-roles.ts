/**
 * Delegated administration: the capabilities a caller can be given, the built-in admin roles that
 * bundle them, and the scopes an assignment holds them in. The delegation service stores who holds
 * what; the gateway signs the holder's live grants into the principal; policy.ts decides with them.
 * Nothing here implies anything else: a role is exactly its list.
 */

/** What a caller may want to do. Resolvers name the capability and the resource. */
export const CAPABILITIES = [
  'user:read',
  'user:list',
  'user:create',
  'user:update',
  /** Suspend, reactivate, terminate, rehire. */
  'user:lifecycle',
  'organization:read',
  'organization:write',
  'credential:change-own',
  'credential:reset',
  'credential:unlock',
  'audit:read',
  'import:run',
  // Access requests and the catalogue (access-requests service).
  'application:create',
  'application:manage',
  'approval-policy:manage',
  'birthright-rule:manage',
  'access:request',
  'access:read',
  'grant:manage',
  // The delegation service.
  'delegation:manage',
  /** Assign and revoke admin roles, within what the assigner holds (no self-escalation). */
  'admin-role:assign',
  /** Create and revoke scoped API tokens, whose power never exceeds the creator's. */
  'api-token:create',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

const known: ReadonlySet<string> = new Set(CAPABILITIES);

export function isCapability(value: string): value is Capability {
  return known.has(value);
}

/** The built-in admin roles, and what each holds. A custom role is a set of capabilities too. */
export const BUILT_IN_ROLES = {
  USER_ADMIN: [
    'user:read',
    'user:list',
    'user:create',
    'user:update',
    'user:lifecycle',
    'credential:reset',
    'credential:unlock',
    'organization:read',
    'admin-role:assign',
    'api-token:create',
  ],
  HELPDESK: ['user:read', 'user:list', 'credential:reset', 'credential:unlock'],
  ACCESS_ADMIN: [
    'application:manage',
    'approval-policy:manage',
    'birthright-rule:manage',
    'grant:manage',
    'access:read',
    'admin-role:assign',
  ],
  APPLICATION_OWNER: ['application:manage', 'approval-policy:manage', 'grant:manage', 'access:read'],
  AUDITOR: ['audit:read'],
  PARTNER_ADMIN: [
    'user:read',
    'user:list',
    'user:create',
    'user:lifecycle',
    'access:request',
    'access:read',
    'grant:manage',
    'admin-role:assign',
    'api-token:create',
  ],
} as const satisfies Record<string, readonly Capability[]>;

export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

export function isBuiltInRole(name: string): name is BuiltInRole {
  return Object.hasOwn(BUILT_IN_ROLES, name);
}

/** Where an assignment holds its capabilities. */
export type Scope =
  | { kind: 'GLOBAL' }
  /** An organisation; with `subtree`, every organisation below it too. */
  | { kind: 'ORGANIZATION'; id: string; subtree: boolean }
  /** A partner organisation and everything below it. */
  | { kind: 'PARTNER'; id: string }
  /** One application: its catalogue, policies, grants and rules. */
  | { kind: 'APPLICATION'; id: string };

export type ScopeKind = Scope['kind'];

/** Capabilities held in one scope: what the gateway signs into the principal, one per live assignment. */
export interface ScopedGrant {
  capabilities: readonly Capability[];
  scope: Scope;
  /**
   * Where else the grant is confined (an API token's organisation and applications): it applies
   * only where its scope and one of these both reach. Absent: its scope alone.
   */
  within?: readonly Scope[];
}

/** Where a scope check looks: an organisation with its ancestors (nearest first), or an application. */
export interface Place {
  /** The organisation and the ones above it, nearest first. */
  organizationPath?: readonly string[];
  applicationId?: string;
}

/** Whether a grant applies at `place`: its scope reaches it, and so does one of its confines. */
export function grantReaches(grant: ScopedGrant, place: Place): boolean {
  return (
    scopeReaches(grant.scope, place) && (!grant.within || grant.within.some((w) => scopeReaches(w, place)))
  );
}

/** Whether a grant applies everywhere `inner` reaches (its scope and one of its confines cover it). */
export function grantCovers(grant: ScopedGrant, inner: Scope, innerPath: readonly string[] = []): boolean {
  return (
    scopeCovers(grant.scope, inner, innerPath) &&
    (!grant.within || grant.within.some((w) => scopeCovers(w, inner, innerPath)))
  );
}

/** Whether `scope` reaches `place`. */
export function scopeReaches(scope: Scope, place: Place): boolean {
  const path = place.organizationPath ?? [];
  switch (scope.kind) {
    case 'GLOBAL':
      return true;
    case 'ORGANIZATION':
      return scope.subtree ? path.includes(scope.id) : path[0] === scope.id;
    case 'PARTNER':
      return path.includes(scope.id);
    case 'APPLICATION':
      return place.applicationId === scope.id;
  }
}

/**
 * Whether everything `inner` reaches, `outer` reaches too. `innerPath` is the path of `inner`'s
 * organisation (nearest first) when it names one.
 */
export function scopeCovers(outer: Scope, inner: Scope, innerPath: readonly string[] = []): boolean {
  if (outer.kind === 'GLOBAL') return true;
  switch (inner.kind) {
    case 'GLOBAL':
      return false;
    case 'APPLICATION':
      return outer.kind === 'APPLICATION' && outer.id === inner.id;
    case 'PARTNER':
      // A partner scope is its organisation with the whole subtree.
      return (
        (outer.kind === 'PARTNER' && innerPath.includes(outer.id)) ||
        (outer.kind === 'ORGANIZATION' && outer.subtree && innerPath.includes(outer.id))
      );
    case 'ORGANIZATION':
      if (outer.kind === 'APPLICATION') return false;
      if (outer.kind === 'PARTNER') return innerPath.includes(outer.id);
      if (outer.id === inner.id) return outer.subtree || !inner.subtree;
      return outer.subtree && innerPath.includes(outer.id);
  }
}

/** The organisation a scope names, if any. */
export function scopeOrganization(scope: Scope): string | null {
  return scope.kind === 'ORGANIZATION' || scope.kind === 'PARTNER' ? scope.id : null;
}

/** A short stable text for a scope, for logs, audit records and error messages. */
export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'GLOBAL':
      return 'global';
    case 'ORGANIZATION':
      return `organization ${scope.id}${scope.subtree ? ' and below' : ''}`;
    case 'PARTNER':
      return `partner ${scope.id}`;
    case 'APPLICATION':
      return `application ${scope.id}`;
  }
}

/** Parses a scope received from outside (a signed principal); null if malformed. */
export function parseScope(value: unknown): Scope | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const id = typeof v.id === 'string' && v.id.length > 0 ? v.id : null;
  switch (v.kind) {
    case 'GLOBAL':
      return { kind: 'GLOBAL' };
    case 'ORGANIZATION':
      return id ? { kind: 'ORGANIZATION', id, subtree: v.subtree === true } : null;
    case 'PARTNER':
      return id ? { kind: 'PARTNER', id } : null;
    case 'APPLICATION':
      return id ? { kind: 'APPLICATION', id } : null;
    default:
      return null;
  }
}

/** Parses a list of grants received from outside; drops malformed ones and unknown capabilities. */
export function parseGrants(value: unknown): ScopedGrant[] {
  if (!Array.isArray(value)) return [];
  const out: ScopedGrant[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const g = item as Record<string, unknown>;
    const scope = parseScope(g.scope);
    const capabilities = Array.isArray(g.capabilities)
      ? (g.capabilities as unknown[]).filter((c): c is Capability => typeof c === 'string' && isCapability(c))
      : [];
    if (!scope || capabilities.length === 0) continue;
    if (g.within === undefined) {
      out.push({ scope, capabilities });
      continue;
    }
    // A confined grant whose confines do not all parse is dropped: fewer rights, never more.
    const within = Array.isArray(g.within) ? (g.within as unknown[]).map(parseScope) : [null];
    if (within.every((w): w is Scope => w !== null)) out.push({ scope, capabilities, within });
  }
  return out;
}

/** What an API token may carry: never the power to hand power on. */
export const TOKEN_FORBIDDEN: ReadonlySet<Capability> = new Set(['admin-role:assign', 'api-token:create']);

/** An API token as the gateway learns it: what it asks for, and where. */
export interface ApiTokenGrant {
  capabilities: readonly Capability[];
  /** The organisation the token serves, with everything below it. */
  organizationId: string;
  /** When set, the applications it may act on (beyond its organisation's people). */
  applicationIds: readonly string[] | null;
}

/**
 * A token's grants at the time of use: each of its creator's grants (a global administrator's
 * being everything, everywhere), cut down to the token's capabilities and confined to its
 * organisation and applications. Removing the creator's role removes the token's power.
 */
export function tokenGrants(
  creator: { roles: readonly string[]; grants?: readonly Omit<ScopedGrant, 'within'>[] },
  token: ApiTokenGrant,
): ScopedGrant[] {
  const within: Scope[] = [
    { kind: 'ORGANIZATION', id: token.organizationId, subtree: true },
    ...(token.applicationIds ?? []).map((id): Scope => ({ kind: 'APPLICATION', id })),
  ];
  const asked = new Set(token.capabilities.filter((c) => !TOKEN_FORBIDDEN.has(c)));
  const source: readonly ScopedGrant[] = creator.roles.includes('admin')
    ? [{ capabilities: CAPABILITIES, scope: { kind: 'GLOBAL' } }]
    : (creator.grants ?? []);
  const out: ScopedGrant[] = [];
  // A creator's grants come from their assignments and are never confined themselves.
  for (const g of source) {
    const capabilities = g.capabilities.filter((c) => asked.has(c));
    if (capabilities.length > 0) out.push({ capabilities, scope: g.scope, within });
  }
  return out;
}
