import { decodeJwt } from 'jose';
import { issueAccessToken, type SigningKeys } from './signing-keys';
import type { CredentialStores } from './credential.repository';
import type { CredentialSettings, SignAccessToken } from './deps';
import type { CredentialEffects } from '../directory/credential-effects';
import { createCredentialEffects } from './provisioning';

/** The credential stores, settings, token signer and lifecycle effects of one service process. */
export interface CredentialRuntime {
  stores: CredentialStores;
  settings: CredentialSettings;
  signAccessToken: SignAccessToken;
  effects: CredentialEffects;
}

export function createCredentialRuntime(
  stores: CredentialStores,
  settings: CredentialSettings,
  keys: SigningKeys,
  token: { issuer: string; ttlS: number },
): CredentialRuntime {
  return {
    stores,
    settings,
    signAccessToken: accessTokenSigner(keys, token),
    effects: createCredentialEffects(stores, settings),
  };
}

/** Signs access tokens with the current key, for the service and for the token command alike. */
export function accessTokenSigner(
  keys: SigningKeys,
  token: { issuer: string; ttlS: number },
): SignAccessToken {
  return async (claims) => {
    const signed = await issueAccessToken(keys, claims, token);
    return { token: signed, expiresAt: new Date((decodeJwt(signed).exp as number) * 1000) };
  };
}
