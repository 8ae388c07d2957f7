import type { IncomingMessage } from 'node:http';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import {
  ANONYMOUS,
  EXTERNAL_IDENTITY_PATH,
  headerValue,
  HttpError,
  internalOperation,
  signPrincipal,
  type ExternalIdentityState,
  type Logger,
  type Principal,
} from '@concierge/kit';
import { keysWithGrace } from './authenticate';
import type { ExternalIdpConfig } from './config';

/**
 * Every refusal of an external token, whatever its cause (expired, tampered, another audience or
 * issuer, `alg: none`, an unknown or inactive user): one answer, so that it tells an attacker
 * nothing. It is the answer the local path gives an invalid token.
 */
export const EXTERNAL_TOKEN_REFUSED = 'Invalid token';
const refused = () => new HttpError(401, EXTERNAL_TOKEN_REFUSED, 'UNAUTHENTICATED');

/**
 * Algorithms an external token may be signed with: asymmetric only. `none` and the HMAC family
 * (whose key would be the public JWKS, RFC 8725 section 2.1) are refused before any key is used.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface ExternalIdentityCheckOptions {
  /** The users subgraph's GraphQL URL; the route is on the same host. */
  usersUrl: string;
  /** The users subgraph's principal key (subgraphKey). */
  usersKey: Buffer;
  /** How long an answer is used before it is asked again, unless an event evicts it first. */
  ttlMs: number;
  /** How long an old answer still serves while the users service cannot be asked. */
  staleMs: number;
  logger: Logger;
}

/** The verified claims the users service maps a token with. */
export interface ExternalClaims {
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

interface Entry {
  state: ExternalIdentityState;
  at: number;
}

/** Answers remembered at most; beyond, the least recently asked are dropped. */
const MAX_ENTRIES = 100_000;

/**
 * Which local user an external identity is, asked of the users service (which may create it) and
 * cached like session-check.ts: for `ttlMs`, dropped at once when an event about the user arrives
 * (revocation-feed.ts). An identity that maps to nobody is not cached, so a user created or given
 * that e-mail meanwhile is found at the next request.
 */
export class ExternalIdentityCheck {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ExternalIdentityState>>();
  private readonly routeUrl: URL;
  private evictions = 0;

  constructor(
    private readonly config: ExternalIdpConfig,
    private readonly options: ExternalIdentityCheckOptions,
  ) {
    this.routeUrl = new URL(EXTERNAL_IDENTITY_PATH, options.usersUrl);
  }

  /** The principal of a verified external token; 401 unless it maps to an ACTIVE user. */
  async principalFor(claims: ExternalClaims): Promise<Principal> {
    const state = await this.state(claims);
    if (!state.active || state.userId === null) throw refused();
    return { kind: 'user', userId: state.userId, roles: state.roles };
  }

  /** Forgets every answer about a user (an event about them arrived). */
  evict(userId: string): void {
    this.evictions += 1;
    for (const [key, entry] of this.entries) if (entry.state.userId === userId) this.entries.delete(key);
  }

  private async state(claims: ExternalClaims): Promise<ExternalIdentityState> {
    const params = this.query(claims);
    const key = params.toString();
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.options.ttlMs) return cached.state;
    const epoch = this.evictions;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchState(params).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    try {
      const state = await pending;
      if (epoch !== this.evictions || state.userId === null) return state;
      this.entries.delete(key);
      this.entries.set(key, { state, at: now });
      if (this.entries.size > MAX_ENTRIES) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      return state;
    } catch (err) {
      if (cached && now - cached.at < this.options.staleMs) return cached.state;
      this.options.logger.warn({ err }, 'external identity unavailable');
      throw new HttpError(503, 'Sign-in state is unavailable; try again shortly', 'SERVICE_UNAVAILABLE');
    }
  }

  /** The route's query: what the mapping depends on, so it is also the cache key. */
  private query(claims: ExternalClaims): URLSearchParams {
    const params = new URLSearchParams({
      iss: claims.issuer,
      sub: claims.subject,
      by: this.config.mapBy,
      email: claims.email ?? '',
    });
    // The profile claims matter only to a user created just in time.
    if (this.config.unknownUser === 'create-pending') {
      params.set('create', this.config.jitOrganization ?? '');
      params.set('name', claims.name ?? '');
      params.set('given', claims.givenName ?? '');
      params.set('family', claims.familyName ?? '');
    }
    return params;
  }

  private async fetchState(params: URLSearchParams): Promise<ExternalIdentityState> {
    const url = new URL(this.routeUrl);
    url.search = params.toString();
    const headers = signPrincipal(
      ANONYMOUS,
      this.options.usersKey,
      internalOperation('users', EXTERNAL_IDENTITY_PATH, params),
    );
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3_000) });
    if (!res.ok) throw new Error(`external identity answered ${res.status}`);
    const body = (await res.json()) as Partial<ExternalIdentityState>;
    return {
      userId: typeof body.userId === 'string' ? body.userId : null,
      active: body.active === true,
      roles: Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [],
    };
  }
}

const claim = (payload: JWTPayload, name: string): string | null => {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : null;
};

/**
 * Verifies a token of the external provider (signature against its JWKS, issuer, audience,
 * expiry, age) and maps it to a local user's principal. Every failure is the same 401; only an
 * unreachable JWKS or users service is a 503.
 */
export function createExternalAuthenticator(
  config: ExternalIdpConfig,
  identities: ExternalIdentityCheck,
  options: { graceMs: number },
) {
  // Fetched, cached and, while the provider is unreachable, kept for the grace as for local tokens.
  const keys = keysWithGrace(config.jwksUrl, { graceMs: options.graceMs });
  return async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: config.maxTokenAgeS,
      }));
    } catch (err) {
      // HttpError: the provider's keys are unavailable (503), our outage, not the caller's fault.
      if (err instanceof HttpError) throw err;
      if (err instanceof errors.JOSEError) throw refused();
      throw err;
    }
    const subject = claim(payload, 'sub');
    if (subject === null) throw refused();
    // In e-mail mode an address the provider says it has not verified maps to nobody.
    const unverified = payload.email_verified === false;
    return identities.principalFor({
      issuer: config.issuer,
      subject,
      email: unverified ? null : claim(payload, 'email'),
      name: claim(payload, 'name'),
      givenName: claim(payload, 'given_name'),
      familyName: claim(payload, 'family_name'),
    });
  };
}

/** The `iss` a bearer token claims, unverified: only to choose which verifier checks it. */
function claimedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

/**
 * Sends a bearer token whose `iss` is the external provider's to `external`, and every other
 * request, unchanged, to the local authenticator (authenticate.ts). The claimed issuer only picks
 * the verifier; the verifier then checks it with the signature.
 */
export function withExternalIssuer(
  local: (req: IncomingMessage) => Promise<Principal>,
  issuer: string,
  external: (token: string) => Promise<Principal>,
): (req: IncomingMessage) => Promise<Principal> {
  return async (req) => {
    const match = /^Bearer\s+(\S+)$/i.exec(headerValue(req, 'authorization') ?? '');
    const token = match?.[1];
    if (token && claimedIssuer(token) === issuer) return external(token);
    return local(req);
  };
}
