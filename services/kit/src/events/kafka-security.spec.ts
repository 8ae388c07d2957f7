import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { KafkaConfig } from 'kafkajs';
import { ConfigError, loadKafkaSecurity, loadServiceConfig } from '../config';
import { createLogger } from '../logger';
import { createKafka, KafkaHealth } from './kafka';
import { kafkajsSecurity } from './kafka-security';

// Every kafkajs client the kit builds, with the config it was given.
const mockBuilt: KafkaConfig[] = [];
jest.mock('kafkajs', () => {
  const actual = jest.requireActual<typeof import('kafkajs')>('kafkajs');
  class RecordingKafka extends actual.Kafka {
    constructor(config: KafkaConfig) {
      super(config);
      mockBuilt.push(config);
    }
  }
  return { ...actual, Kafka: RecordingKafka };
});

const PASSWORD = 'pw-9f3c1e-never-printed';
const SCRAM = {
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'svc-users',
  KAFKA_SASL_PASSWORD: PASSWORD,
};

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, PEM);
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'hello');

/** The problems of a configuration that must be refused. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadKafkaSecurity(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('accepted');
}

describe('Kafka security from the environment', () => {
  it('without any setting, connects in plaintext without authentication, as to the local broker', () => {
    const security = loadKafkaSecurity({});
    expect(security).toEqual({ ssl: false });
    expect(kafkajsSecurity(security)).toEqual({});
  });

  it('with TLS and SCRAM, gives kafkajs ssl and the mechanism, username and password', () => {
    expect(kafkajsSecurity(loadKafkaSecurity(SCRAM))).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'svc-users', password: PASSWORD },
    });
  });

  it('with a CA file, trusts exactly the certificates it holds', () => {
    expect(kafkajsSecurity(loadKafkaSecurity({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile }))).toEqual({
      ssl: { ca: [PEM] },
    });
  });

  it('accepts the mechanism in capitals, as operators often write it', () => {
    expect(loadKafkaSecurity({ ...SCRAM, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' }).sasl?.mechanism).toBe(
      'scram-sha-256',
    );
  });

  it('when a mechanism is set without username and password, then both are named as missing', () => {
    const problems = problemsOf({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain' });
    expect(problems).toEqual([
      expect.stringMatching(/^KAFKA_SASL_USERNAME is missing/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD is missing/),
    ]);
  });

  it('when a username and password are set without a mechanism, then the mechanism is named as missing', () => {
    const problems = problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD });
    expect(problems).toEqual([expect.stringMatching(/^KAFKA_SASL_MECHANISM is missing/)]);
  });

  it('refuses SASL PLAIN without TLS, unless plaintext SASL is explicitly allowed', () => {
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD };
    expect(problemsOf(plain)).toEqual([expect.stringMatching(/KAFKA_SSL=true/)]);
    expect(loadKafkaSecurity({ ...plain, KAFKA_ALLOW_PLAINTEXT_SASL: 'true' }).sasl?.mechanism).toBe('plain');
    expect(loadKafkaSecurity({ ...plain, KAFKA_SSL: 'true' }).ssl).toBe(true);
  });

  it('accepts SCRAM without TLS: the password never crosses the wire', () => {
    expect(loadKafkaSecurity({ ...SCRAM, KAFKA_SSL: 'false' })).toMatchObject({ ssl: false });
  });

  it('refuses a CA file without TLS, one that cannot be read, and one without a PEM certificate', () => {
    expect(problemsOf({ KAFKA_SSL_CA_FILE: caFile })).toEqual([
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true',
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'absent.pem') })).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE is malformed: cannot read .*absent\.pem \(ENOENT\)/),
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem })).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE is malformed: .* holds no PEM certificate/),
    ]);
  });

  it('refuses an unknown mechanism and a malformed flag, by name', () => {
    const problems = problemsOf({ KAFKA_SSL: 'yes', KAFKA_SASL_MECHANISM: 'gssapi' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KAFKA_SSL is malformed/),
        expect.stringMatching(/^KAFKA_SASL_MECHANISM is malformed/),
      ]),
    );
  });

  it('never echoes the password in a refusal, whatever else is wrong', () => {
    const refusals = [
      { KAFKA_SASL_PASSWORD: PASSWORD },
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD },
      { ...SCRAM, KAFKA_SASL_MECHANISM: PASSWORD },
      { ...SCRAM, KAFKA_SSL: PASSWORD },
      { ...SCRAM, KAFKA_SSL_CA_FILE: join(dir, 'absent.pem'), KAFKA_SASL_USERNAME: '' },
    ];
    for (const env of refusals) {
      let message = '';
      try {
        loadKafkaSecurity(env);
      } catch (err) {
        message = `${(err as Error).message}\n${(err as ConfigError).problems?.join('\n')}`;
      }
      expect(message).toMatch(/Invalid configuration/);
      expect(message).not.toContain(PASSWORD);
    }
  });

  it('never prints the password when the configuration is logged, serialised or inspected', () => {
    const config = loadServiceConfig(
      'USERS',
      { port: 4001, database: 'd' },
      {
        GATEWAY_SIGNING_SECRET: 'x'.repeat(32),
        ...SCRAM,
      },
    ).service;
    const lines: string[] = [];
    const logger = createLogger('users', 'info', { write: (line: string) => lines.push(line) });
    logger.info({ config }, 'configured');
    expect(lines.join('')).toContain('svc-users');
    for (const text of [
      lines.join(''),
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      `${config.kafkaSecurity?.sasl?.password}`,
    ]) {
      expect(text).not.toContain(PASSWORD);
    }
  });
});

describe('the kafkajs clients the kit builds', () => {
  beforeEach(() => mockBuilt.splice(0));

  it('when a subgraph is configured for TLS and SCRAM, then its client and its health probe carry both', () => {
    const { kafkaSecurity, kafkaBrokers } = loadServiceConfig(
      'USERS',
      { port: 4001, database: 'd' },
      {
        GATEWAY_SIGNING_SECRET: 'x'.repeat(32),
        KAFKA_BROKERS: 'b1:9093,b2:9093',
        ...SCRAM,
      },
    ).service;
    createKafka('concierge-users', kafkaBrokers, createLogger('users', 'silent'), kafkaSecurity);
    new KafkaHealth('concierge-users', kafkaBrokers, kafkaSecurity);
    expect(mockBuilt).toHaveLength(2);
    for (const config of mockBuilt) {
      expect(config).toMatchObject({
        brokers: ['b1:9093', 'b2:9093'],
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'svc-users', password: PASSWORD },
      });
    }
  });

  it('when nothing is configured, then the clients have neither ssl nor sasl', () => {
    createKafka('concierge-users', ['127.0.0.1:9092'], createLogger('users', 'silent'));
    new KafkaHealth('concierge-users', ['127.0.0.1:9092'], loadKafkaSecurity({}));
    for (const config of mockBuilt) {
      expect(config).not.toHaveProperty('ssl');
      expect(config).not.toHaveProperty('sasl');
    }
    expect(mockBuilt).toHaveLength(2);
  });
});
