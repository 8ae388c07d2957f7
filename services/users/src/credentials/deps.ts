import type { EventContracts, Logger } from '@concierge/kit';
import type { CredentialStores } from './credential.repository';
import type { UserRepository } from '../directory/user.repository';
import type { LockoutPolicy } from './lockout';

/** Credential settings from the service configuration. */
export interface CredentialSettings {
  setPasswordTtlMs: number;
  refreshTokenTtlMs: number;
  lockout: LockoutPolicy;
  /** Seals set-password tokens for the notifications service (CONCIERGE_SEAL_KEY). */
  sealKey: Buffer;
}

/** Signs a short-lived access token; returns it with its expiry. */
export type SignAccessToken = (claims: {
  userId: string;
  roles: string[];
  sessionId?: string;
}) => Promise<{ token: string; expiresAt: Date }>;

/** What the credential use cases need: stores, settings, a token signer, who acts and in which request. */
export interface CredentialsDeps extends CredentialStores {
  users: UserRepository;
  settings: CredentialSettings;
  contracts: EventContracts;
  signAccessToken: SignAccessToken;
  logger: Logger;
  /** The acting user's id, or "anonymous" for sign-in and set-password calls. */
  actor: string;
  correlationId: string;
  /** The caller's address as the gateway saw it; wrong passwords are throttled per address. */
  clientAddress?: string | null;
  now?: Date;
}

export const nowOf = (deps: { now?: Date }): Date => deps.now ?? new Date();
