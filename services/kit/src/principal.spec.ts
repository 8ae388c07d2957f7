import {
  PRINCIPAL_HEADER,
  ReplayGuard,
  SIGNATURE_HEADER,
  signPrincipal,
  subgraphKey,
  verifyPrincipal,
  type Principal,
  type SignedOperation,
} from './principal';

const SECRET = 's'.repeat(40);
const USERS_KEY = subgraphKey(SECRET, 'users');
const alice: Principal = { kind: 'user', userId: 'alice', roles: ['admin'] };
const op: SignedOperation = {
  subgraph: 'users',
  query: 'query ($id: ID!) { user(id: $id) { id } }',
  variables: { id: 'u-1' },
  operationName: null,
};

function verify(headers: Record<string, string>, overrides: Partial<SignedOperation> = {}, now?: number) {
  return verifyPrincipal(
    { payload: headers[PRINCIPAL_HEADER], signature: headers[SIGNATURE_HEADER] },
    USERS_KEY,
    { ...op, ...overrides },
    new ReplayGuard(),
    now,
  );
}

describe('signed principal', () => {
  it('verifies what the gateway signed for this subgraph and operation, with the client address', () => {
    const headers = signPrincipal(alice, USERS_KEY, op, { clientAddress: '203.0.113.7' });
    expect(verify(headers)).toEqual({ principal: alice, clientAddress: '203.0.113.7' });
  });

  it('derives a different key per subgraph, so a signature for one subgraph fails at another', () => {
    expect(subgraphKey(SECRET, 'users').equals(subgraphKey(SECRET, 'delegation'))).toBe(false);
    const forDelegation = signPrincipal(alice, subgraphKey(SECRET, 'delegation'), {
      ...op,
      subgraph: 'delegation',
    });
    expect(verify(forDelegation)).toBeNull();
    // Signed with the right key but naming another audience: refused too.
    expect(verify(signPrincipal(alice, USERS_KEY, { ...op, subgraph: 'delegation' }))).toBeNull();
  });

  it('refuses the headers with another query, other variables or another operation name', () => {
    const headers = signPrincipal(alice, USERS_KEY, op);
    expect(verify(headers, { query: 'mutation { terminateUser(id: "u-1") { id } }' })).toBeNull();
    expect(verify(headers, { variables: { id: 'u-2' } })).toBeNull();
    expect(verify(headers, { operationName: 'Other' })).toBeNull();
  });

  it('refuses a principal whose payload was changed after signing', () => {
    const headers = signPrincipal({ kind: 'user', userId: 'bob', roles: [] }, USERS_KEY, op);
    const body = JSON.parse(Buffer.from(headers[PRINCIPAL_HEADER]!, 'base64url').toString()) as {
      p: Principal;
    };
    body.p = alice;
    const forged = Buffer.from(JSON.stringify(body)).toString('base64url');
    expect(verify({ ...headers, [PRINCIPAL_HEADER]: forged })).toBeNull();
  });

  it('refuses a signature made with another secret', () => {
    expect(verify(signPrincipal(alice, subgraphKey('o'.repeat(40), 'users'), op))).toBeNull();
  });

  it('accepts a signature for 5 seconds, and none dated in the future beyond a small clock drift', () => {
    const now = Date.now();
    const headers = signPrincipal(alice, USERS_KEY, op, { now });
    expect(verify(headers, {}, now + 4_900)).not.toBeNull();
    expect(verify(headers, {}, now + 5_100)).toBeNull();
    expect(verify(headers, {}, now - 200)).not.toBeNull();
    expect(verify(headers, {}, now - 2_000)).toBeNull();
  });

  it('accepts the same signed request once (replay)', () => {
    const replays = new ReplayGuard();
    const headers = signPrincipal(alice, USERS_KEY, op);
    const call = { payload: headers[PRINCIPAL_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifyPrincipal(call, USERS_KEY, op, replays)).not.toBeNull();
    expect(verifyPrincipal(call, USERS_KEY, op, replays)).toBeNull();
    // A fresh signature of the same operation is a new request.
    const again = signPrincipal(alice, USERS_KEY, op);
    expect(
      verifyPrincipal(
        { payload: again[PRINCIPAL_HEADER], signature: again[SIGNATURE_HEADER] },
        USERS_KEY,
        op,
        replays,
      ),
    ).not.toBeNull();
  });

  it('refuses missing headers', () => {
    expect(verify({})).toBeNull();
  });
});
