import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import type { SigningKeyRepository } from './signing-key.repository';

/** Audience of every access token; the gateway checks it. */
export const TOKEN_AUDIENCE = 'concierge';
const ALG = 'ES256';

/**
 * The key pair access tokens are signed with. Created on first use and kept in the users database,
 * so every replica signs with the same key and the gateway verifies with the published JWKS.
 */
export class SigningKeys {
  private cached: Promise<{ kid: string; privateKey: KeyLike | Uint8Array; publicJwk: JWK }> | null = null;

  constructor(private readonly store: SigningKeyRepository) {}

  current() {
    this.cached ??= this.load().catch((err: unknown) => {
      this.cached = null;
      throw err;
    });
    return this.cached;
  }

  /** The public keys, as served at /.well-known/jwks.json. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { publicJwk } = await this.current();
    return { keys: [publicJwk] };
  }

  private async load() {
    let record = await this.store.find('primary');
    if (!record) {
      const pair = await generateKeyPair(ALG, { extractable: true });
      const kid = `k-${Date.now().toString(36)}`;
      // Two replicas starting together: the first insert wins and both use it.
      record = await this.store.insertFirst({
        _id: 'primary',
        privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: ALG },
        publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: ALG, use: 'sig' },
        createdAt: new Date(),
      });
    }
    return {
      kid: record.publicJwk.kid as string,
      privateKey: await importJWK(record.privateJwk, ALG),
      publicJwk: record.publicJwk,
    };
  }
}

export interface TokenClaims {
  userId: string;
  roles: string[];
}

/** Signs a short-lived access token for a user. */
export async function issueAccessToken(
  keys: SigningKeys,
  claims: TokenClaims,
  options: { issuer: string; ttlS: number },
): Promise<string> {
  const { kid, privateKey } = await keys.current();
  return new SignJWT({ roles: claims.roles })
    .setProtectedHeader({ alg: ALG, kid })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlS}s`)
    .sign(privateKey);
}
