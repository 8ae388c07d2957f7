import type { EventEnvelope } from '@concierge/kit';
import type { EventDeps } from '../shared/events';
import type { User } from './user.repository';

/*
 * The port through which a user's lifecycle reaches credentials: the directory calls it, the
 * credentials component implements it (credentials/provisioning.ts).
 */

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

/** Set-password tokens minted for users created in bulk, and each user's credential.set-password-issued. */
export interface BulkActivation {
  events: Map<string, EventEnvelope>;
  /** Writes the tokens (one write): before the users, so that no link goes out without its token. */
  store(): Promise<void>;
}
