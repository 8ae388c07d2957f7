import type { DueSweeper, EventContracts } from '@concierge/kit';
import { SYSTEM_ACTOR } from '../deputies/delegation.events';
import type { ApiToken } from './api-token';
import { tokenExpired, tokenExpiring } from './api-tokens.events';
import type { ApiTokenRepository } from './api-tokens.repository';

/**
 * Fires the tokens' due timers: 7 days before an expiry, api-token.expiring (the creator's inbox
 * tells them); at the expiry, api-token.expired (the audit trail records it). Returns how many.
 */
export async function fireDueTokens(
  now: Date,
  deps: { tokens: ApiTokenRepository; contracts: EventContracts; sweeper: DueSweeper },
): Promise<number> {
  return deps.tokens.sweepDue(now, deps.sweeper, async (current: ApiToken, at: Date) => {
    const events = {
      contracts: deps.contracts,
      actor: SYSTEM_ACTOR,
      correlationId: `token-timer:${current._id}`,
    };
    await deps.tokens.update(current._id, (latest) => {
      if (latest.revokedAt || latest.expiredAt) return null;
      if (latest.expiresAt <= at) {
        const next = { ...latest, expiredAt: at };
        return { next, events: [tokenExpired(events, next)] };
      }
      if (!latest.expiringNoticeAt) {
        const next = { ...latest, expiringNoticeAt: at };
        return { next, events: [tokenExpiring(events, next)] };
      }
      return null;
    });
  });
}
