import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ANONYMOUS, headerValue, HttpError, MAX_ACCESS_TOKEN_TTL_S, type Principal } from '@concierge/kit';

/** Audience the users service puts in every access token. */
const AUDIENCE = 'concierge';

export interface AuthenticatorOptions {
  /** How long fetched keys are used before the JWKS is fetched again. */
  cacheMaxAgeMs?: number;
  /** The least time between two fetches of the JWKS. */
  cooldownMs?: number;
  /**
   * How long after the last successful fetch the keys it gave still verify tokens while the JWKS
   * cannot be fetched (the users service down or unreachable).
   */
  graceMs?: number;
  /**
   * Turns a verified token's subject and sign-in into the principal, at use time (session-check.ts).
   * Without it, the roles the token carries are taken as they are.
   */
  resolve?: (userId: string, sessionId: string | null) => Promise<Principal>;
}

/**
 * A JWKS's public keys (the users service's, or the external provider's): fetched and cached, and while the JWKS cannot be fetched, the
 * last keys fetched, for a bounded grace. Without any, a request answers 503, not 500.
 */
export function keysWithGrace(
  jwksUrl: string,
  options: Pick<AuthenticatorOptions, 'cacheMaxAgeMs' | 'cooldownMs' | 'graceMs'>,
): JWTVerifyGetKey {
  const graceMs = options.graceMs ?? 3_600_000;
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: options.cooldownMs ?? 5_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  });
  let last: { set: unknown; keys: JWTVerifyGetKey; at: number } | null = null;
  return async (header, token) => {
    try {
      const key = await remote(header, token);
      const set = remote.jwks();
      if (set && set !== last?.set) last = { set, keys: createLocalJWKSet(set), at: Date.now() };
      return key;
    } catch (err) {
      // A token whose key is not in a fetched set is invalid; anything else is a failed fetch.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
        throw err;
      if (last && Date.now() - last.at <= graceMs) return last.keys(header, token);
      throw new HttpError(503, 'Token keys are unavailable; try again shortly', 'SERVICE_UNAVAILABLE');
    }
  };
}

/**
 * Turns the request's bearer token into a principal: no token is the anonymous principal (each
 * subgraph decides what anonymous callers may do); a bad or expired token is 401.
 */
export function createAuthenticator(jwksUrl: string, issuer: string, options: AuthenticatorOptions = {}) {
  const keys = keysWithGrace(jwksUrl, options);
  return async (req: IncomingMessage): Promise<Principal> => {
    const header = headerValue(req, 'authorization');
    if (!header) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new HttpError(401, 'Authorization header must be "Bearer <token>"', 'UNAUTHENTICATED');
    try {
      const { payload } = await jwtVerify(match[1], keys, {
        issuer,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        // A token without an expiry or an issue time, or issued more than the longest lifetime
        // ago, is refused whatever its `exp` says.
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: MAX_ACCESS_TOKEN_TTL_S,
      });
      if (typeof payload.sub !== 'string')
        throw new HttpError(401, 'Token has no subject', 'UNAUTHENTICATED');
      if (options.resolve)
        return await options.resolve(payload.sub, typeof payload.sid === 'string' ? payload.sid : null);
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is string => typeof r === 'string')
        : [];
      return { kind: 'user', userId: payload.sub, roles };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof errors.JWTExpired) throw new HttpError(401, 'Token expired', 'UNAUTHENTICATED');
      if (err instanceof errors.JOSEError) throw new HttpError(401, 'Invalid token', 'UNAUTHENTICATED');
      throw err;
    }
  };
}
