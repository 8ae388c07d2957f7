import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { ANONYMOUS, headerValue, HttpError, MAX_ACCESS_TOKEN_TTL_S, type Principal } from '@concierge/kit';

/** Audience the users service puts in every access token. */
const AUDIENCE = 'concierge';

/**
 * Turns the request's bearer token into a principal: no token is the anonymous principal (each
 * subgraph decides what anonymous callers may do); a bad or expired token is 401.
 */
export function createAuthenticator(jwksUrl: string, issuer: string) {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 600_000 });
  return async (req: IncomingMessage): Promise<Principal> => {
    const header = headerValue(req, 'authorization');
    if (!header) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new HttpError(401, 'Authorization header must be "Bearer <token>"', 'UNAUTHENTICATED');
    try {
      const { payload } = await jwtVerify(match[1], jwks, {
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
