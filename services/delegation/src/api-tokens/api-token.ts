import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { isCapability, TOKEN_FORBIDDEN, type Capability } from '@concierge/kit';
import {
  badCapabilities,
  badExpiry,
  badName,
  forbiddenCapabilities,
  tooManyApplications,
} from './api-tokens.errors';

import { EXPIRY_NOTICE_DAYS, MAX_APPLICATIONS, MAX_TOKEN_LIFETIME_DAYS } from './limits';

const DAY_MS = 86_400_000;
/** What every token starts with, so a leaked one is easy to recognise (and to scan for). */
export const TOKEN_PREFIX = 'cct_';

/**
 * A scoped API token. Its secret is never stored: only a SHA-256 of it (the secret is 256 random
 * bits, so a fast hash is enough; nothing can be guessed from it).
 */
export interface ApiToken {
  _id: string;
  version: number;
  name: string;
  /** The organisation it serves, with everything below it. */
  organizationId: string;
  capabilities: Capability[];
  /** The applications it may act on besides its organisation's people; null: none named. */
  applicationIds: string[] | null;
  expiresAt: Date;
  creatorId: string;
  createdAt: Date;
  secretHash: string;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  /** When the creator was told it expires soon; null until then. */
  expiringNoticeAt: Date | null;
  /** When its expiry was recorded (api-token.expired); null until then. */
  expiredAt: Date | null;
}

export type TokenStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

export function statusOf(t: ApiToken, now: Date): TokenStatus {
  if (t.revokedAt) return 'REVOKED';
  return t.expiresAt <= now ? 'EXPIRED' : 'ACTIVE';
}

/** The next moment the scheduler must look at the token: its notice, then its expiry; null when done. */
export function nextDue(
  t: Pick<ApiToken, 'revokedAt' | 'expiresAt' | 'createdAt' | 'expiringNoticeAt' | 'expiredAt'>,
): Date | null {
  if (t.revokedAt || t.expiredAt) return null;
  const notice = new Date(t.expiresAt.getTime() - EXPIRY_NOTICE_DAYS * DAY_MS);
  // A token made to live less than the notice period needs no notice: its creator just chose it.
  if (!t.expiringNoticeAt && notice > t.createdAt) return notice;
  return t.expiresAt;
}

export interface TokenInput {
  name: string;
  organizationId: string;
  capabilities: readonly string[];
  applicationIds?: readonly string[] | null;
  expiresAt: string;
}

/** The request, checked on its own: a name, known capabilities a token may carry, an expiry within the maximum. */
export function checkInput(input: TokenInput, now: Date) {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw badName();
  const unknown = input.capabilities.filter((c) => !isCapability(c));
  if (unknown.length > 0 || input.capabilities.length === 0) throw badCapabilities(unknown);
  const capabilities = [...new Set(input.capabilities as Capability[])].sort();
  const refused = capabilities.filter((c) => TOKEN_FORBIDDEN.has(c));
  if (refused.length > 0) throw forbiddenCapabilities(refused);
  const expiresAt = new Date(input.expiresAt);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(input.expiresAt) || Number.isNaN(expiresAt.getTime())) throw badExpiry();
  if (expiresAt <= now || expiresAt.getTime() - now.getTime() > MAX_TOKEN_LIFETIME_DAYS * DAY_MS)
    throw badExpiry();
  const applicationIds = input.applicationIds?.length
    ? [...new Set(input.applicationIds.map((id) => id.trim()).filter((id) => id !== ''))]
    : null;
  if (applicationIds && applicationIds.length > MAX_APPLICATIONS) throw tooManyApplications(MAX_APPLICATIONS);
  return { name, capabilities, expiresAt, applicationIds };
}

/** A new token's id, secret (shown once) and the hash that is stored. */
export function mintSecret(): { id: string; token: string; secretHash: string } {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}.${secret}`, secretHash: digestOf(secret) };
}

/** The SHA-256 of a secret, as stored and as the gateway sends it. */
export function digestOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Whether a presented digest is the stored one (in constant time). */
export function digestMatches(stored: string, presented: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
