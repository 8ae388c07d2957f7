import type { ApiTokenState } from '@concierge/kit';
import { digestMatches, statusOf } from './api-token';
import type { ApiTokenRepository } from './api-tokens.repository';

/**
 * What the gateway asks when a token is presented: whether `digest` (SHA-256 of the presented
 * secret) is this token's and it is in force, and then what it asks for. A use is recorded, to the
 * minute. A wrong id and a wrong secret answer alike.
 */
export async function checkToken(
  id: string,
  digest: string,
  tokens: ApiTokenRepository,
  now = new Date(),
): Promise<ApiTokenState> {
  const token = await tokens.peek(id);
  if (!token || !digestMatches(token.secretHash, digest) || statusOf(token, now) !== 'ACTIVE')
    return { valid: false };
  await tokens.recordUse(id, await tokens.lastUse(id), now);
  return {
    valid: true,
    tokenId: token._id,
    creatorId: token.creatorId,
    organizationId: token.organizationId,
    capabilities: token.capabilities,
    applicationIds: token.applicationIds,
    expiresAt: token.expiresAt.toISOString(),
  };
}
