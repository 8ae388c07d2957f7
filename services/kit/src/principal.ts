import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseGrants, type Capability, type ScopedGrant } from './admin-roles';

/** Who is calling, as the gateway established it. */
export interface Principal {
  /** 'user' for a person with an access token; 'anonymous' when no token was presented. */
  kind: 'user' | 'anonymous';
  /** The user id, for kind 'user'. */
  userId?: string;
  /** Global roles, e.g. 'admin', as the users service holds them (the gateway reads them at use time). */
  roles: string[];
  /**
   * The capabilities the user holds through admin role assignments live now, each in its scope,
   * as the delegation service held them when the gateway asked (briefly cached, evicted by events).
   */
  grants?: ScopedGrant[];
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', roles: [] }) as Principal;

export const PRINCIPAL_HEADER = 'x-concierge-principal';
export const SIGNATURE_HEADER = 'x-concierge-signature';

/**
 * How long a signed principal is accepted after the gateway signed it: one subgraph fetch takes
 * milliseconds; the rest is room for clock drift between hosts.
 */
export const PRINCIPAL_WINDOW_MS = 5_000;
/** A signature dated this far in the future is still accepted (clock drift), no further. */
const FUTURE_SKEW_MS = 250;

/** The operation a principal is signed for: one subgraph, one body. */
export interface SignedOperation {
  /** The subgraph's name as in the supergraph (users, access-requests, delegation, notifications). */
  subgraph: string;
  query: string;
  variables?: unknown;
  operationName?: string | null;
}

/** What a subgraph learns from a valid signature. */
export interface VerifiedCall {
  principal: Principal;
  /** The caller's address as the gateway saw it, or null when the gateway did not say. */
  clientAddress: string | null;
}

interface SignedBody {
  p: Principal;
  /** subgraph */
  aud: string;
  /** sha-256 of the operation (operationHash) */
  h: string;
  /** signed at, epoch ms */
  iat: number;
  /** nonce: a replay carries the same one */
  n: string;
  a: string | null;
}

const keyCache = new Map<string, Buffer>();

/**
 * The key the gateway signs one subgraph's calls with, derived from the gateway's secret (HKDF,
 * RFC 5869). A subgraph given only its own key cannot sign for another subgraph.
 */
export function subgraphKey(secret: string, subgraph: string): Buffer {
  const cacheKey = `${subgraph}\0${secret}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'concierge-principal-v1', `subgraph:${subgraph}`, 32));
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** The users service's route the gateway asks whether an access token still stands. */
export const SESSION_STATE_PATH = '/internal/session-state';

/** Its answer, for one user and one sign-in. */
export interface SessionState {
  /** False once the user is not ACTIVE, or the token's sign-in has ended. */
  active: boolean;
  /** The global roles the store holds now (not those the token was issued with). */
  roles: string[];
}

/** The delegation service's route the gateway asks for a user's live admin grants. */
export const ADMIN_GRANTS_PATH = '/internal/admin-grants';

/** Its answer, for one user. */
export interface AdminGrantsState {
  /** The capabilities the user's live assignments give, each in its scope. */
  grants: ScopedGrant[];
  /** When an assignment starts or ends next (ISO 8601), so the answer changes; null: not by time. */
  changesAt: string | null;
}

/**
 * The users service's route the gateway asks which local user a verified token of the external
 * OpenID Connect provider stands for (and, when configured, creates that user PENDING).
 */
export const EXTERNAL_IDENTITY_PATH = '/internal/external-identity';

/** An external identity as the gateway verified it from a token of the external provider. */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
  /** The token's `email` claim, if any (not yet normalised; null when the provider says unverified). */
  email: string | null;
  /** The token's `name`, `given_name` and `family_name` claims, if any. */
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

/** How the gateway maps an external token to a local user. */
export type ExternalMapping = 'subject' | 'email';

/** The users service's answer for one external identity. */
export interface ExternalIdentityState {
  /** The local user the identity maps to; null when it maps to nobody (and none was created). */
  userId: string | null;
  /** True only when that user is ACTIVE. */
  active: boolean;
  /** The global roles the store holds now; empty unless active. */
  roles: string[];
}

/** The delegation service's route the gateway asks whether a presented API token stands. */
export const API_TOKEN_PATH = '/internal/api-token';

/** Its answer: invalid (unknown, wrong secret, revoked or expired alike), or what the token asks for. */
export type ApiTokenState =
  | { valid: false }
  | {
      valid: true;
      tokenId: string;
      creatorId: string;
      organizationId: string;
      capabilities: Capability[];
      applicationIds: string[] | null;
      /** ISO 8601. */
      expiresAt: string;
    };

/** What the gateway signs for a call to an internal GET route of a subgraph. */
export function internalOperation(subgraph: string, path: string, params: URLSearchParams): SignedOperation {
  return { subgraph, query: `GET ${path}?${params.toString()}`, operationName: null };
}

/** A digest of what the subgraph will execute; the variables as JSON.stringify writes them. */
export function operationHash(op: Omit<SignedOperation, 'subgraph'>): string {
  return createHash('sha256')
    .update(op.query)
    .update('\0')
    .update(JSON.stringify(op.variables ?? {}))
    .update('\0')
    .update(op.operationName ?? '')
    .digest('base64url');
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** The two headers the gateway sends with one subgraph request, bound to that request. */
export function signPrincipal(
  principal: Principal,
  key: Buffer,
  op: SignedOperation,
  options: { clientAddress?: string | null; now?: number } = {},
): Record<string, string> {
  const body: SignedBody = {
    p: principal,
    aud: op.subgraph,
    h: operationHash(op),
    iat: options.now ?? Date.now(),
    n: randomBytes(12).toString('base64url'),
    a: options.clientAddress ?? null,
  };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return { [PRINCIPAL_HEADER]: payload, [SIGNATURE_HEADER]: mac(key, payload).toString('base64url') };
}

/**
 * Remembers the nonces of the signatures accepted within the window, so the same signed request
 * is accepted once. Memory is bounded by the request rate over one window.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  /** True the first time a nonce is offered within its window. */
  accept(nonce: string, expiresAt: number, now: number): boolean {
    if (now - this.lastSweep > PRINCIPAL_WINDOW_MS) {
      for (const [n, until] of this.seen) if (until < now) this.seen.delete(n);
      this.lastSweep = now;
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, expiresAt);
    return true;
  }
}

/**
 * The caller when the signature is valid for this subgraph and this operation, fresh, and not
 * seen before; otherwise null.
 */
export function verifyPrincipal(
  headers: { payload: string | undefined; signature: string | undefined },
  key: Buffer,
  op: SignedOperation,
  replays: ReplayGuard,
  now = Date.now(),
): VerifiedCall | null {
  const { payload, signature } = headers;
  if (!payload || !signature) return null;
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let body: SignedBody;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedBody;
  } catch {
    return null;
  }
  if (typeof body.iat !== 'number' || typeof body.n !== 'string') return null;
  const age = now - body.iat;
  if (age > PRINCIPAL_WINDOW_MS || age < -FUTURE_SKEW_MS) return null;
  if (body.aud !== op.subgraph || body.h !== operationHash(op)) return null;
  if (!replays.accept(body.n, body.iat + PRINCIPAL_WINDOW_MS + FUTURE_SKEW_MS, now)) return null;
  const p = body.p as Partial<Principal> | undefined;
  if (p?.kind !== 'user' && p?.kind !== 'anonymous') return null;
  const roles = Array.isArray(p?.roles) ? p.roles.filter((r): r is string => typeof r === 'string') : [];
  const principal: Principal =
    p.kind === 'user' && typeof p.userId === 'string'
      ? { kind: 'user', userId: p.userId, roles, ...grantsOf(p.grants) }
      : { kind: 'anonymous', roles: [] };
  return { principal, clientAddress: typeof body.a === 'string' ? body.a : null };
}

/**
 * The longest an access token may live, in seconds: the users service refuses a longer
 * USERS_ACCESS_TOKEN_TTL_S, and the gateway refuses a token issued longer ago than this, whatever
 * its `exp` says.
 */
export const MAX_ACCESS_TOKEN_TTL_S = 3600;

/** The signed grants as a principal field; absent when there are none (tokens stay small). */
function grantsOf(value: unknown): { grants?: ScopedGrant[] } {
  const grants = parseGrants(value);
  return grants.length > 0 ? { grants } : {};
}
