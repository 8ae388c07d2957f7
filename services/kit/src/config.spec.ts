import { z } from 'zod';
import { ConfigError, parseEnv, serviceEnv } from './config';

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
