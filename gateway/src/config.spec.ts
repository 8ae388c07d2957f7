import { loadConfig } from './config';

const base = { GATEWAY_SIGNING_SECRET: 'x'.repeat(32) };

describe('gateway configuration', () => {
  it('has introspection off unless in development or asked for', () => {
    expect(loadConfig(base).introspection).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).introspection).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).introspection).toBe(true);
    expect(
      loadConfig({ ...base, NODE_ENV: 'development', GATEWAY_INTROSPECTION: 'false' }).introspection,
    ).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'production', GATEWAY_INTROSPECTION: 'true' }).introspection).toBe(
      true,
    );
  });

  it('refuses a malformed switch, naming it', () => {
    expect(() => loadConfig({ ...base, GATEWAY_INTROSPECTION: 'yes' })).toThrow(/GATEWAY_INTROSPECTION/);
  });
});

describe('external OpenID Connect provider configuration', () => {
  const idp = {
    GATEWAY_OIDC_ISSUER: 'https://idp.example.org',
    GATEWAY_OIDC_JWKS_URL: 'https://idp.example.org/jwks',
    GATEWAY_OIDC_AUDIENCE: 'https://concierge.example.org',
  };

  it('is off unless an issuer is configured', () => {
    expect(loadConfig(base).externalIdp).toBeNull();
  });

  it('maps by subject and refuses unknown people unless told otherwise', () => {
    expect(loadConfig({ ...base, ...idp }).externalIdp).toEqual({
      issuer: 'https://idp.example.org',
      jwksUrl: 'https://idp.example.org/jwks',
      audience: 'https://concierge.example.org',
      mapBy: 'subject',
      unknownUser: 'reject',
      jitOrganization: null,
      maxTokenAgeS: 3600,
    });
    expect(
      loadConfig({
        ...base,
        ...idp,
        GATEWAY_OIDC_MAP_BY: 'email',
        GATEWAY_OIDC_UNKNOWN_USER: 'create-pending',
        GATEWAY_OIDC_JIT_ORGANIZATION: 'EXT',
      }).externalIdp,
    ).toMatchObject({ mapBy: 'email', unknownUser: 'create-pending', jitOrganization: 'EXT' });
  });

  it('names each setting that is missing or malformed', () => {
    expect(() => loadConfig({ ...base, GATEWAY_OIDC_ISSUER: idp.GATEWAY_OIDC_ISSUER })).toThrow(
      /GATEWAY_OIDC_JWKS_URL[\s\S]*GATEWAY_OIDC_AUDIENCE/,
    );
    expect(() => loadConfig({ ...base, GATEWAY_OIDC_JWKS_URL: idp.GATEWAY_OIDC_JWKS_URL })).toThrow(
      /GATEWAY_OIDC_JWKS_URL.*needs GATEWAY_OIDC_ISSUER/,
    );
    expect(() => loadConfig({ ...base, ...idp, GATEWAY_OIDC_UNKNOWN_USER: 'create-pending' })).toThrow(
      /GATEWAY_OIDC_JIT_ORGANIZATION/,
    );
    expect(() => loadConfig({ ...base, ...idp, GATEWAY_OIDC_MAP_BY: 'username' })).toThrow(
      /GATEWAY_OIDC_MAP_BY/,
    );
    expect(() => loadConfig({ ...base, ...idp, GATEWAY_OIDC_ISSUER: 'https://idp.example.org/#x' })).toThrow(
      /GATEWAY_OIDC_ISSUER/,
    );
    expect(() => loadConfig({ ...base, ...idp, GATEWAY_OIDC_ISSUER: 'concierge-users' })).toThrow(
      /GATEWAY_OIDC_ISSUER/,
    );
  });
});
