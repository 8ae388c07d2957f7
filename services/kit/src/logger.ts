import pino, { type Logger } from 'pino';

export type { Logger };

/** Names whose values never reach a log line, at the top of a log object or one level down. */
const SECRET_NAMES = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'sealedToken',
  'secret',
  'authorization',
  'cookie',
  'x-concierge-signature',
];

/** pino's path syntax: a name with a hyphen goes in brackets, and only below the top. */
const plain = (name: string) => /^[A-Za-z_$][\w$]*$/.test(name);
const below = (parent: string, name: string) => (plain(name) ? `${parent}.${name}` : `${parent}["${name}"]`);

const REDACT = SECRET_NAMES.flatMap((name) => [
  ...(plain(name) ? [name] : []),
  ...['*', 'req.headers', 'headers', 'variables', '*.variables'].map((parent) => below(parent, name)),
]);

/**
 * A JSON logger for one service; components take `logger.child({ component })`. Tests may pass a
 * destination to read what it writes.
 */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
