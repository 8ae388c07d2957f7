import { sealFor, yieldToEventLoop, type EventEnvelope } from '@concierge/kit';
import type { CredentialStores } from './credential.repository';
import type { SetPasswordPurpose, SetPasswordTokenRecord } from './credential-token.model';
import type { User } from '../directory/user.repository';
import { usersEvent, type EventDeps } from '../shared/events';
import type { CredentialEffects } from '../directory/credential-effects';
import type { CredentialSettings } from './deps';
import { issueOneTimeToken } from './one-time-token';

/** A set-password token in clear: it exists only in memory, in a sealed event, or on the bootstrap command's stdout. */
export interface FreshSetPasswordToken {
  token: string;
  hash: string;
  purpose: SetPasswordPurpose;
  expiresAt: Date;
}

/** A new token of `purpose`, valid for `ttlMs` from `now`. */
export function newSetPasswordToken(
  purpose: SetPasswordPurpose,
  ttlMs: number,
  now: Date,
): FreshSetPasswordToken {
  return { ...issueOneTimeToken(), purpose, expiresAt: new Date(now.getTime() + ttlMs) };
}

/** Stores the token's hash, after voiding the user's unused tokens (one live link per user). */
export async function storeSetPasswordToken(
  userId: string,
  fresh: FreshSetPasswordToken,
  stores: Pick<CredentialStores, 'setPasswordTokens'>,
  now: Date,
): Promise<void> {
  // Voiding first: two issues racing leave two live tokens rather than none.
  await stores.setPasswordTokens.revokeUnused(userId, now);
  await stores.setPasswordTokens.insert({
    _id: fresh.hash,
    userId,
    purpose: fresh.purpose,
    expiresAt: fresh.expiresAt,
    createdAt: now,
  });
}

/**
 * credential.set-password-issued for the notifications service. The token travels sealed with the
 * key only the two services hold, bound to the user (additional data = user id), so it is never in
 * clear on Kafka, in the outbox or in logs.
 */
export function setPasswordIssuedEvent(
  user: Pick<User, '_id' | 'email' | 'displayName'>,
  fresh: FreshSetPasswordToken,
  sealKey: Buffer,
  deps: EventDeps,
): EventEnvelope {
  return usersEvent(deps, 'credential.set-password-issued', user._id, {
    userId: user._id,
    email: user.email,
    displayName: user.displayName,
    purpose: fresh.purpose,
    expiresAt: fresh.expiresAt.toISOString(),
    sealedToken: sealFor(fresh.token, sealKey, user._id),
  });
}

/** Tokens minted between two turns of the event loop (sealing each costs a few microseconds). */
const MINT_BETWEEN_YIELDS = 100;

export function createCredentialEffects(
  stores: CredentialStores,
  settings: Pick<CredentialSettings, 'setPasswordTtlMs' | 'sealKey'>,
): CredentialEffects {
  return {
    async beforeActivation(user, ctx) {
      const credential = await stores.credentials.findById(user._id);
      if (credential?.passwordHash) return [];
      const now = ctx.now ?? new Date();
      const fresh = newSetPasswordToken('ACTIVATION', settings.setPasswordTtlMs, now);
      const event = setPasswordIssuedEvent(user, fresh, settings.sealKey, ctx);
      await storeSetPasswordToken(user._id, fresh, stores, now);
      return [event];
    },
    async mintBulkActivation(users, ctx) {
      const now = ctx.now ?? new Date();
      const events = new Map<string, EventEnvelope>();
      const tokens: Omit<SetPasswordTokenRecord, 'usedAt' | 'revokedAt'>[] = [];
      for (const [i, user] of users.entries()) {
        if (i > 0 && i % MINT_BETWEEN_YIELDS === 0) await yieldToEventLoop();
        const fresh = newSetPasswordToken('ACTIVATION', settings.setPasswordTtlMs, now);
        events.set(user._id, setPasswordIssuedEvent(user, fresh, settings.sealKey, ctx));
        tokens.push({
          _id: fresh.hash,
          userId: user._id,
          purpose: fresh.purpose,
          expiresAt: fresh.expiresAt,
          createdAt: now,
        });
      }
      return {
        events,
        store: async () => {
          if (tokens.length > 0) await stores.setPasswordTokens.insertMany(tokens);
        },
      };
    },
    async beforeDeactivation(user, status, ctx) {
      const now = ctx.now ?? new Date();
      await stores.setPasswordTokens.revokeUnused(user._id, now);
      // Without credentials the user never had a password, hence no sign-in to revoke.
      if (!(await stores.credentials.findById(user._id))) return [];
      const event = usersEvent(ctx, 'credential.sessions-revoked', user._id, {
        userId: user._id,
        reason: status,
      });
      await stores.credentials.update(user._id, { sessionsRevokedAt: now });
      await stores.refreshTokens.revokeAllOf(user._id, now);
      return [event];
    },
  };
}
