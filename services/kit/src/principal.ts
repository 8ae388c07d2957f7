import { createHmac, timingSafeEqual } from 'node:crypto';

/** Who is calling, as the gateway established it. */
export interface Principal {
  /** 'user' for a person with an access token; 'anonymous' when no token was presented. */
  kind: 'user' | 'anonymous';
  /** The user id, for kind 'user'. */
  userId?: string;
  /** Global roles carried by the token, e.g. 'admin'. Scoped roles arrive with the delegation service. */
  roles: string[];
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', roles: [] }) as Principal;

export const PRINCIPAL_HEADER = 'x-concierge-principal';
export const SIGNATURE_HEADER = 'x-concierge-signature';

/** How long a signed principal stays valid: long enough for one federated request, short against replay. */
const MAX_AGE_MS = 60_000;

interface SignedBody extends Principal {
  /** issued at, epoch ms */
  iat: number;
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** The two headers the gateway sends with every subgraph request. */
export function signPrincipal(
  principal: Principal,
  secret: string,
  now = Date.now(),
): Record<string, string> {
  const body: SignedBody = { ...principal, iat: now };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return { [PRINCIPAL_HEADER]: payload, [SIGNATURE_HEADER]: mac(secret, payload).toString('base64url') };
}

/** Returns the principal when the signature is valid and fresh, otherwise null. */
export function verifyPrincipal(
  payload: string | undefined,
  signature: string | undefined,
  secret: string,
  now = Date.now(),
): Principal | null {
  if (!payload || !signature) return null;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let body: SignedBody;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedBody;
  } catch {
    return null;
  }
  if (typeof body.iat !== 'number' || Math.abs(now - body.iat) > MAX_AGE_MS) return null;
  if (body.kind !== 'user' && body.kind !== 'anonymous') return null;
  const roles = Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [];
  return body.kind === 'user' && typeof body.userId === 'string'
    ? { kind: 'user', userId: body.userId, roles }
    : { kind: 'anonymous', roles: [] };
}

/**
 * The longest an access token may live, in seconds: the users service refuses a longer
 * USERS_ACCESS_TOKEN_TTL_S, and the gateway refuses a token issued longer ago than this, whatever
 * its `exp` says.
 */
export const MAX_ACCESS_TOKEN_TTL_S = 3600;
