import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/**
 * A secret that prints as [redacted] in logs, JSON, string templates and util.inspect, so a config
 * object that holds it can be logged; `reveal()` hands the value to the one caller that needs it.
 */
export class RedactedSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** How a process authenticates to the brokers and protects the connection. */
export interface KafkaSecurity {
  /** TLS to the brokers. */
  ssl: boolean;
  /** PEM certificates to trust instead of the system's CAs (KAFKA_SSL_CA_FILE), read at start. */
  ca?: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: RedactedSecret };
}

const flag = z.enum(['true', 'false']).default('false');

/** The environment variables of Kafka security, to spread into a config schema (kit config.ts). */
export const kafkaSecurityEnv = {
  KAFKA_SSL: flag,
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z
    .string()
    .toLowerCase()
    .pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512']))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  // A secret: zod's messages for it name the rule, never the value.
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** SASL PLAIN sends the password as it is; without TLS only on a network trusted for that. */
  KAFKA_ALLOW_PLAINTEXT_SASL: flag,
};

type KafkaSecurityValues = z.infer<z.ZodObject<typeof kafkaSecurityEnv>>;

/**
 * The settings as one KafkaSecurity, or the problems of the combination (each naming its
 * variable, never a value): a mechanism needs a username and a password and those need a
 * mechanism; SASL PLAIN needs TLS unless KAFKA_ALLOW_PLAINTEXT_SASL=true; a CA file needs TLS and
 * must hold a PEM certificate.
 */
export function kafkaSecurityOf(e: KafkaSecurityValues): { security: KafkaSecurity; problems: string[] } {
  const problems: string[] = [];
  const ssl = e.KAFKA_SSL === 'true';
  const mechanism = e.KAFKA_SASL_MECHANISM;
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = e;
  if (mechanism) {
    if (!username)
      problems.push(`KAFKA_SASL_USERNAME is missing: KAFKA_SASL_MECHANISM=${mechanism} needs it`);
    if (!password)
      problems.push(`KAFKA_SASL_PASSWORD is missing: KAFKA_SASL_MECHANISM=${mechanism} needs it`);
    if (mechanism === 'plain' && !ssl && e.KAFKA_ALLOW_PLAINTEXT_SASL !== 'true') {
      problems.push(
        'KAFKA_SASL_MECHANISM=plain would send the password unencrypted: set KAFKA_SSL=true ' +
          '(or KAFKA_ALLOW_PLAINTEXT_SASL=true on a network trusted for that)',
      );
    }
  } else if (username || password) {
    const set = [username && 'KAFKA_SASL_USERNAME', password && 'KAFKA_SASL_PASSWORD'].filter(Boolean);
    problems.push(
      `KAFKA_SASL_MECHANISM is missing: ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set ` +
        '(plain, scram-sha-256 or scram-sha-512)',
    );
  }
  let ca: string | undefined;
  if (e.KAFKA_SSL_CA_FILE) {
    if (!ssl) problems.push('KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true');
    try {
      ca = readFileSync(e.KAFKA_SSL_CA_FILE, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        problems.push(`KAFKA_SSL_CA_FILE is malformed: ${e.KAFKA_SSL_CA_FILE} holds no PEM certificate`);
      }
    } catch (err) {
      problems.push(
        `KAFKA_SSL_CA_FILE is malformed: cannot read ${e.KAFKA_SSL_CA_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const security: KafkaSecurity = {
    ssl,
    ...(ca !== undefined ? { ca } : {}),
    ...(mechanism && username && password
      ? { sasl: { mechanism, username, password: new RedactedSecret(password) } }
      : {}),
  };
  return { security, problems };
}

/** The ssl and sasl options of a kafkajs client; none for a plaintext, unauthenticated broker. */
export function kafkajsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!security) return {};
  const { sasl } = security;
  return {
    // With a CA file, trust exactly its certificates; the broker's name is still verified.
    ...(security.ssl ? { ssl: security.ca !== undefined ? { ca: [security.ca] } : true } : {}),
    ...(sasl
      ? {
          // One shape for the three mechanisms; TypeScript cannot split the union on its own.
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: sasl.password.reveal(),
          } as SASLOptions,
        }
      : {}),
  };
}
