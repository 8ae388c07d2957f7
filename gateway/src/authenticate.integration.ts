import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { HttpError } from '@concierge/kit';
import { createAuthenticator } from './authenticate';

const ISSUER = 'concierge-users';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A JWKS endpoint on a real port, as the users service serves it; `close` takes it down. */
async function jwksServer(jwks: object): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;

async function refusal(work: Promise<unknown>): Promise<{ status: number; code: string } | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, code: err.code };
    throw err;
  }
}

describe('gateway token keys when the users service is unreachable', () => {
  let privateKey: KeyLike;
  let jwks: object;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k-1', alg: 'ES256', use: 'sig' }] };
  });
  /** A five-minute token as sign-in issues it, signed with `key` (the users service's by default). */
  const token = (key: KeyLike = privateKey) =>
    new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k-1' })
      .setSubject('admin-1')
      .setIssuer(ISSUER)
      .setAudience('concierge')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);

  it('keeps verifying with the last fetched keys for the grace, then answers 503, never 500', async () => {
    const users = await jwksServer(jwks);
    const authenticate = createAuthenticator(users.url, ISSUER, {
      cacheMaxAgeMs: 100,
      cooldownMs: 0,
      graceMs: 1_500,
    });
    expect(await authenticate(request(await token()))).toMatchObject({ kind: 'user', userId: 'admin-1' });
    await users.close();
    await sleep(200); // the cache has expired: every request now tries to fetch the keys again
    expect(await authenticate(request(await token()))).toMatchObject({ userId: 'admin-1' });
    // A token under an unknown key is still refused during the grace.
    const other = await generateKeyPair('ES256');
    const forged = await token(other.privateKey);
    expect(await refusal(authenticate(request(forged)))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    await sleep(1_500);
    expect(await refusal(authenticate(request(await token())))).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('answers 503 when the keys were never fetched', async () => {
    const users = await jwksServer(jwks);
    await users.close();
    const authenticate = createAuthenticator(users.url, ISSUER, { cooldownMs: 0 });
    expect(await refusal(authenticate(request(await token())))).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
  });
});
