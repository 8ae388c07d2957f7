import { NotFoundError, policy } from '@concierge/kit';
import type { ApiToken } from './api-token';
import { alreadyRevoked } from './api-tokens.errors';
import { tokenRevoked } from './api-tokens.events';
import type { ApiTokensDeps } from './deps';
import { managesTokensOf } from './token-authority';

/**
 * Revokes a token at once and publishes api-token.revoked (the gateway drops it on that event).
 * Its creator may, and whoever manages the tokens of its organisation; to anyone else it does not
 * exist (NOT_FOUND).
 */
export async function revokeToken(
  id: string,
  input: { reason?: string | null },
  deps: ApiTokensDeps,
): Promise<ApiToken> {
  const now = deps.now ?? new Date();
  policy.requireUser(deps.principal);
  const reason = input.reason?.trim().slice(0, 500) || null;
  const current = await deps.tokens.load(id);
  if (!current || !(await mayManage(current, deps))) throw new NotFoundError('ApiToken', id);
  if (current.revokedAt) throw alreadyRevoked(id);
  const result = await deps.tokens.update(id, (latest) => {
    if (latest.revokedAt) throw alreadyRevoked(id);
    const next = { ...latest, revokedAt: now, revokedBy: deps.actor, revokeReason: reason };
    return { next, events: [tokenRevoked(deps, next)] };
  });
  if (!result) throw new NotFoundError('ApiToken', id);
  return result.state;
}

/** The token's creator, or someone who manages its organisation's tokens. */
export async function mayManage(token: ApiToken, deps: Pick<ApiTokensDeps, 'principal' | 'organizations'>) {
  if (deps.principal.userId === token.creatorId) return true;
  return managesTokensOf(
    deps.principal,
    token.organizationId,
    await deps.organizations.path(token.organizationId),
  );
}
