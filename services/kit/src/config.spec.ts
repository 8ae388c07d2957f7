import { z } from 'zod';
import {
  ConfigError,
  isoDuration,
  loadServiceConfig,
  parseEnv,
  parseIsoDuration,
  sealKey,
  serviceEnv,
} from './config';
import { subgraphKey } from './principal';

const schema = z.object({ ...serviceEnv });
const SECRET = 'x'.repeat(32);

describe('parseEnv', () => {
  it('applies defaults when only the secret is given', () => {
    const config = parseEnv(schema, { GATEWAY_SIGNING_SECRET: SECRET });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OUTBOX_POLL_MS).toBe(1000);
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

  it("derives the subgraph's principal key from the gateway's secret, or takes the key alone", () => {
    const derived = subgraphKey(SECRET, 'access-requests');
    const fromSecret = loadServiceConfig(
      'ACCESS_REQUESTS',
      { port: 4002, database: 'a' },
      { GATEWAY_SIGNING_SECRET: SECRET },
    );
    expect(fromSecret.service.principalKey.equals(derived)).toBe(true);
    const fromKey = loadServiceConfig(
      'ACCESS_REQUESTS',
      { port: 4002, database: 'a' },
      { ACCESS_REQUESTS_PRINCIPAL_KEY: derived.toString('base64url') },
    );
    expect(fromKey.service.principalKey.equals(derived)).toBe(true);
  });

  it('names the missing principal key, and a malformed one without echoing it', () => {
    expect(() => loadServiceConfig('USERS', { port: 4001, database: 'u' }, {})).toThrow(
      /USERS_PRINCIPAL_KEY is missing/,
    );
    expect(() =>
      loadServiceConfig('USERS', { port: 4001, database: 'u' }, { USERS_PRINCIPAL_KEY: 'tooShortKey' }),
    ).toThrow(/USERS_PRINCIPAL_KEY is malformed: must be 32 bytes(?![\s\S]*tooShortKey)/);
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

describe('ISO 8601 durations', () => {
  it.each([
    ['PT72H', 72 * 3_600_000],
    ['P30D', 30 * 86_400_000],
    ['PT15M', 15 * 60_000],
    ['PT0.5S', 500],
    ['P1DT2H3M4S', ((26 * 60 + 3) * 60 + 4) * 1000],
    ['PT90M', 90 * 60_000],
  ])('reads %s', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', 'P1DT', 'P1Y', 'P2M', 'P1W', '72h', 'PT-1H', 'pt15m', 'PT1.5H', ' PT1H'])(
    'refuses %j',
    (text) => {
      expect(() => parseIsoDuration(text)).toThrow(/ISO 8601 duration/);
    },
  );

  it('names the variable of a malformed or zero duration and applies the default', () => {
    const schema = z.object({ TTL: isoDuration('PT72H') });
    expect(parseEnv(schema, {}).TTL).toBe(72 * 3_600_000);
    expect(() => parseEnv(schema, { TTL: '3 days' })).toThrow(/TTL is malformed: .*ISO 8601 duration/);
    expect(() => parseEnv(schema, { TTL: 'PT0S' })).toThrow(/TTL is malformed: must be longer than zero/);
  });
});

describe('seal key', () => {
  const schema = z.object({ CONCIERGE_SEAL_KEY: sealKey });

  it('requires the key, with no default', () => {
    expect(() => parseEnv(schema, {})).toThrow(/CONCIERGE_SEAL_KEY is missing/);
  });

  it('reads 32 bytes of base64url and never echoes a bad value', () => {
    const key = Buffer.alloc(32, 7);
    expect(parseEnv(schema, { CONCIERGE_SEAL_KEY: key.toString('base64url') }).CONCIERGE_SEAL_KEY).toEqual(
      key,
    );
    const bad = 'not-a-key-but-a-secret-value';
    let message = '';
    try {
      parseEnv(schema, { CONCIERGE_SEAL_KEY: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/CONCIERGE_SEAL_KEY is malformed: seal key must be 32 random bytes/);
    expect(message).not.toContain(bad);
  });
});
