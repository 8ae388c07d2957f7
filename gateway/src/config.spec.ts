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
