import { ConfigError } from '@concierge/kit';
import { DEFAULT_SCHEDULER_INTERVAL_MS, loadConfig } from './config';

const SECRET = 'x'.repeat(32);

describe('delegation configuration', () => {
  it('defaults the port, database and scheduler interval', () => {
    const config = loadConfig({ GATEWAY_SIGNING_SECRET: SECRET });
    expect(config.port).toBe(4003);
    expect(config.mongoUri).toBe('mongodb://127.0.0.1:27017/concierge-delegation');
    expect(config.schedulerIntervalMs).toBe(DEFAULT_SCHEDULER_INTERVAL_MS);
  });

  it('reads DELEGATION_SCHEDULER_INTERVAL_MS, and names it when it is not a positive integer', () => {
    expect(
      loadConfig({ GATEWAY_SIGNING_SECRET: SECRET, DELEGATION_SCHEDULER_INTERVAL_MS: '250' })
        .schedulerIntervalMs,
    ).toBe(250);
    expect(() =>
      loadConfig({ GATEWAY_SIGNING_SECRET: SECRET, DELEGATION_SCHEDULER_INTERVAL_MS: '0' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({ GATEWAY_SIGNING_SECRET: SECRET, DELEGATION_SCHEDULER_INTERVAL_MS: 'soon' }),
    ).toThrow(/DELEGATION_SCHEDULER_INTERVAL_MS is malformed/);
  });
});
