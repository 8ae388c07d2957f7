import { decodeJwt } from 'jose';
import type { Connection } from 'mongoose';
import { issueAccessToken, type SigningKeys } from '../auth/signing-keys';
import { createCredentialStores, type CredentialStores } from '../data/credential.repository';
import type { CredentialSettings, SignAccessToken } from './deps';
import { createCredentialEffects, type CredentialEffects } from './provisioning';

/** The credential stores, settings, token signer and lifecycle effects of one service process. */
export interface CredentialRuntime {
  stores: CredentialStores;
  settings: CredentialSettings;
  signAccessToken: SignAccessToken;
  effects: CredentialEffects;
}

export function createCredentialRuntime(
  db: Connection,
  settings: CredentialSettings,
  keys: SigningKeys,
  token: { issuer: string; ttlS: number },
): CredentialRuntime {
  const stores = createCredentialStores(db);
  return {
    stores,
    settings,
    signAccessToken: async (claims) => {
      const signed = await issueAccessToken(keys, claims, token);
      return { token: signed, expiresAt: new Date((decodeJwt(signed).exp as number) * 1000) };
    },
    effects: createCredentialEffects(stores, settings),
  };
}
