import type { IncomingMessage } from 'node:http';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import {
  EXTERNAL_IDENTITY_PATH,
  headerValue,
  HttpError,
  type ExternalIdentity,
  type ExternalIdentityState,
  type Logger,
  type Principal,
} from '@concierge/kit';
import { keysWithGrace } from './authenticate';
import type { ExternalIdpConfig } from './config';
import { internalGet, UserAnswerCache } from './user-answer-cache';

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
  /** How long a mapping is used before it is asked again. */
  ttlMs: number;
  /** How long an old mapping still serves while the users service cannot be asked. */
  staleMs: number;
  logger: Logger;
}

/**
 * Which local user an external identity is, asked of the users service (which may create it) and
 * cached for `ttlMs`. Only the mapping is cached here: whether that user may act now (ACTIVE, roles,
 * admin grants) is the same per-request answer as for a local token, dropped on any event about
 * the user. An identity that maps to nobody is not cached, so a user created or given that e-mail
 * meanwhile is found at the next request.
 */
export class ExternalIdentityCheck {
  private readonly cache: UserAnswerCache<string | null>;

  constructor(
    private readonly config: ExternalIdpConfig,
    options: ExternalIdentityCheckOptions,
  ) {
    const target = { graphqlUrl: options.usersUrl, subgraph: 'users', key: options.usersKey };
    this.cache = new UserAnswerCache<string | null>({
      ttlMs: options.ttlMs,
      staleMs: options.staleMs,
      what: 'sign-in state',
      logger: options.logger,
      keep: (userId) => userId !== null,
      fetch: async (query) => {
        const body = (await internalGet(
          target,
          EXTERNAL_IDENTITY_PATH,
          new URLSearchParams(query),
        )) as Partial<Pick<ExternalIdentityState, 'userId'>>;
        return typeof body.userId === 'string' ? body.userId : null;
      },
    });
  }

  /** The local user of a verified external token; 401 when it maps to nobody. */
  async userFor(claims: ExternalIdentity): Promise<string> {
    const userId = await this.cache.get(this.query(claims).toString());
    if (userId === null) throw refused();
    return userId;
  }

  /** The route's query: what the mapping depends on, so it is also the cache key. */
  private query(claims: ExternalIdentity): URLSearchParams {
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
  options: {
    graceMs: number;
    /** The principal of a local user now (ACTIVE or 401, roles, admin grants), as for a local token. */
    resolve: (userId: string) => Promise<Principal>;
  },
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
    const userId = await identities.userFor({
      issuer: config.issuer,
      subject,
      email: unverified ? null : claim(payload, 'email'),
      name: claim(payload, 'name'),
      givenName: claim(payload, 'given_name'),
      familyName: claim(payload, 'family_name'),
    });
    try {
      return await options.resolve(userId);
    } catch (err) {
      // Not ACTIVE: the same refusal as every other bad external token.
      if (err instanceof HttpError && err.status === 401) throw refused();
      throw err;
    }
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
