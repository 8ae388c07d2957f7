import { z } from 'zod';
import { ConfigError, loadServiceConfig, parseEnv, serviceEnv } from './config';

const schema = z.object({ ...serviceEnv });
const SECRET = 'x'.repeat(32);

describe('parseEnv', () => {
  it('applies defaults when only the secret is given', () => {
    const config = parseEnv(schema, { GATEWAY_SIGNING_SECRET: SECRET });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OUTBOX_POLL_MS).toBe(1000);
  });

  it('names a missing secret instead of defaulting it', () => {
    expect(() => parseEnv(schema, {})).toThrow(/GATEWAY_SIGNING_SECRET is missing/);
  });

  it('reports every malformed variable at once, by name', () => {
    let error: unknown;
    try {
      parseEnv(schema, { GATEWAY_SIGNING_SECRET: 'short', KAFKA_BROKERS: 'no-port', OUTBOX_POLL_MS: '-5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/GATEWAY_SIGNING_SECRET is malformed/);
    expect(problems).toMatch(/KAFKA_BROKERS is malformed/);
    expect(problems).toMatch(/OUTBOX_POLL_MS is malformed/);
  });

  it('splits a comma-separated broker list', () => {
    const config = parseEnv(schema, { GATEWAY_SIGNING_SECRET: SECRET, KAFKA_BROKERS: 'a:1, b:2' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });
});

describe('loadServiceConfig', () => {
  it("reads a service's own port, database and consumer group by its prefix", () => {
    const { service } = loadServiceConfig(
      'NOTIFICATIONS',
      { port: 4004, database: 'concierge-notifications' },
      {
        GATEWAY_SIGNING_SECRET: SECRET,
        NOTIFICATIONS_PORT: '5000',
        NOTIFICATIONS_CONSUMER_GROUP: 'g1',
      },
    );
    expect(service).toMatchObject({
      port: 5000,
      mongoUri: 'mongodb://127.0.0.1:27017/concierge-notifications',
      groupId: 'g1',
    });
  });

  it('names the malformed service variable', () => {
    expect(() =>
      loadServiceConfig(
        'USERS',
        { port: 4001, database: 'u' },
        { GATEWAY_SIGNING_SECRET: SECRET, USERS_MONGO_URI: 'http://x' },
      ),
    ).toThrow(/USERS_MONGO_URI is malformed/);
  });
});
