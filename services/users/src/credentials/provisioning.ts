import { sealFor, yieldToEventLoop, type EventContracts, type EventEnvelope } from '@concierge/kit';
import type { CredentialStores } from '../data/credential.repository';
import type { SetPasswordPurpose, SetPasswordTokenRecord } from '../data/credential-token.model';
import type { User } from '../data/user.repository';
import { usersEvent } from '../domain/deps';
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

type EventDeps = { contracts: EventContracts; actor: string; correlationId: string };

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

/** Who causes a lifecycle change, for the events credential effects add to it. */
export type EffectContext = EventDeps & { now?: Date };

/**
 * What a lifecycle change does to credentials. Each runs before the lifecycle write and returns
 * the events that write must carry, so the change and its credential events commit together.
 */
export interface CredentialEffects {
  /**
   * The user is about to become ACTIVE. Without a password, a set-password token is stored and
   * credential.set-password-issued returned; with one, nothing.
   */
  beforeActivation(
    user: Pick<User, '_id' | 'email' | 'displayName'>,
    ctx: EffectContext,
  ): Promise<EventEnvelope[]>;
  /**
   * Users about to be created ACTIVE in bulk (an import): none has credentials yet, so each gets a
   * set-password token. Minting is computation only (yielding to the event loop now and then), so
   * an import does it while the previous batch is being written; `store()` then writes all the
   * tokens at once, before the users.
   */
  mintBulkActivation(
    users: Pick<User, '_id' | 'email' | 'displayName'>[],
    ctx: EffectContext,
  ): Promise<BulkActivation>;
  /**
   * The user is about to be suspended or terminated: their sign-ins and unused set-password
   * tokens are revoked at once (before the status write, so a crash in between fails closed), and
   * credential.sessions-revoked is returned when they had credentials.
   */
  beforeDeactivation(
    user: Pick<User, '_id'>,
    status: 'SUSPENDED' | 'TERMINATED',
    ctx: EffectContext,
  ): Promise<EventEnvelope[]>;
}

/** Tokens minted between two turns of the event loop (sealing each costs a few microseconds). */
const MINT_BETWEEN_YIELDS = 100;

/** Set-password tokens minted for users created in bulk, and each user's credential.set-password-issued. */
export interface BulkActivation {
  events: Map<string, EventEnvelope>;
  /** Writes the tokens (one write): before the users, so that no link goes out without its token. */
  store(): Promise<void>;
}

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
