import { isSecretName, redact, REDACTED } from './redact';

describe('redacting secrets from audit snapshots', () => {
  it('replaces fields whose names look secret, whatever their value', () => {
    expect(
      redact({
        password: 'hunter2',
        newPassword: 'x',
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def',
        refreshToken: 'r',
        sealedToken: 'v1.a.b.c',
        clientSecret: { value: 's' },
        connectorCredentials: ['u', 'p'],
        email: 'ada@example.org',
      }),
    ).toEqual({
      password: REDACTED,
      newPassword: REDACTED,
      passwordHash: REDACTED,
      refreshToken: REDACTED,
      sealedToken: REDACTED,
      clientSecret: REDACTED,
      connectorCredentials: REDACTED,
      email: 'ada@example.org',
    });
  });

  it('walks nested objects and arrays', () => {
    expect(
      redact({
        connector: { config: { url: 'https://scim.example.org', apiToken: 't' } },
        accounts: [{ login: 'ada', password: 'p' }, [{ secret: 's' }], 'plain'],
      }),
    ).toEqual({
      connector: { config: { url: 'https://scim.example.org', apiToken: REDACTED } },
      accounts: [{ login: 'ada', password: REDACTED }, [{ secret: REDACTED }], 'plain'],
    });
  });

  it('keeps names that only identify or date a secret, and the fact that a secret was cleared', () => {
    expect(isSecretName('tokenId')).toBe(false);
    expect(isSecretName('credentialIds')).toBe(false);
    expect(isSecretName('passwordChangedAt')).toBe(false);
    expect(isSecretName('Token')).toBe(true);
    expect(redact({ tokenId: 'tok-1', passwordChangedAt: '2025-01-01T00:00:00Z', apiToken: null })).toEqual({
      tokenId: 'tok-1',
      passwordChangedAt: '2025-01-01T00:00:00Z',
      apiToken: null,
    });
  });

  it('replaces values shaped like hashes, JWTs or sealed boxes under any field name', () => {
    expect(
      redact({
        note: '$2b$12$abcdefghijklmnopqrstuv',
        link: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.sig',
        blob: 'v1.aXY.Y2lwaGVy.dGFn',
        list: ['$argon2id$v=19$m=1,t=1,p=1$s$h', 'fine'],
        text: 'v1.2 release notes',
      }),
    ).toEqual({
      note: REDACTED,
      link: REDACTED,
      blob: REDACTED,
      list: [REDACTED, 'fine'],
      text: 'v1.2 release notes',
    });
  });

  it('leaves scalars and the input untouched, and cuts nesting beyond any schema', () => {
    const input = { displayName: 'Ada', password: 'p', n: 1, ok: true, none: null };
    expect(redact(input)).toEqual({ displayName: 'Ada', password: REDACTED, n: 1, ok: true, none: null });
    expect(input.password).toBe('p');
    let deep: Record<string, unknown> = { password: 'p' };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    expect(JSON.stringify(redact(deep))).not.toContain('"p"');
  });
});
