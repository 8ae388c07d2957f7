import { ConfigError } from '@concierge/kit';
import { loadTokenConfig } from './config';

describe('users configuration', () => {
  it('bounds the access-token lifetime at an hour, naming the variable', () => {
    expect(loadTokenConfig({}).accessTokenTtlS).toBe(900);
    expect(loadTokenConfig({ USERS_ACCESS_TOKEN_TTL_S: '3600' }).accessTokenTtlS).toBe(3600);
    expect(() => loadTokenConfig({ USERS_ACCESS_TOKEN_TTL_S: '86400' })).toThrow(ConfigError);
    expect(() => loadTokenConfig({ USERS_ACCESS_TOKEN_TTL_S: '86400' })).toThrow(/USERS_ACCESS_TOKEN_TTL_S/);
  });
});
