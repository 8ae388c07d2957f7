import {
  PRINCIPAL_HEADER,
  SIGNATURE_HEADER,
  signPrincipal,
  verifyPrincipal,
  type Principal,
} from './principal';

const SECRET = 's'.repeat(40);
const alice: Principal = { kind: 'user', userId: 'alice', roles: ['admin'] };

describe('signed principal', () => {
  it('verifies what the gateway signed', () => {
    const headers = signPrincipal(alice, SECRET);
    expect(verifyPrincipal(headers[PRINCIPAL_HEADER], headers[SIGNATURE_HEADER], SECRET)).toEqual(alice);
  });

  it('refuses a principal whose payload was changed after signing', () => {
    const headers = signPrincipal({ kind: 'user', userId: 'bob', roles: [] }, SECRET);
    const forged = Buffer.from(JSON.stringify({ ...alice, iat: Date.now() })).toString('base64url');
    expect(verifyPrincipal(forged, headers[SIGNATURE_HEADER], SECRET)).toBeNull();
  });

  it('refuses a signature made with another secret', () => {
    const headers = signPrincipal(alice, 'o'.repeat(40));
    expect(verifyPrincipal(headers[PRINCIPAL_HEADER], headers[SIGNATURE_HEADER], SECRET)).toBeNull();
  });

  it('refuses a signed principal older than a minute (replay)', () => {
    const headers = signPrincipal(alice, SECRET, Date.now() - 61_000);
    expect(verifyPrincipal(headers[PRINCIPAL_HEADER], headers[SIGNATURE_HEADER], SECRET)).toBeNull();
  });

  it('refuses missing headers', () => {
    expect(verifyPrincipal(undefined, undefined, SECRET)).toBeNull();
  });
});
