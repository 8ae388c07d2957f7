import { Writable } from 'node:stream';
import { createLogger } from './logger';

/** A logger at debug whose lines land in `lines`. */
function captured() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('test', 'debug', destination), lines };
}

const SECRET = 'S3cr3t-value-that-must-not-leak';
const NAMES = [
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
];

describe('logger redaction', () => {
  it.each(NAMES)('redacts %s at the top, one level down, in headers and in GraphQL variables', (name) => {
    const { logger, lines } = captured();
    logger.info({ [name]: SECRET }, 'top');
    logger.info({ input: { [name]: SECRET } }, 'nested');
    logger.info({ req: { headers: { [name]: SECRET } } }, 'request');
    logger.info({ variables: { [name]: SECRET } }, 'variables');
    logger.info({ request: { variables: { [name]: SECRET } } }, 'operation');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).toContain('[redacted]');
    }
  });

  it('redacts the principal signature header', () => {
    const { logger, lines } = captured();
    logger.info({ headers: { 'x-concierge-signature': SECRET } }, 'forwarded');
    logger.info({ req: { headers: { 'x-concierge-signature': SECRET } } }, 'received');
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('keeps what is not secret', () => {
    const { logger, lines } = captured();
    logger.info({ userId: 'user-1', tokenExpiresAt: '2026-12-03T10:00:00Z' }, 'plain');
    expect(lines[0]).toContain('user-1');
    expect(lines[0]).toContain('2026-12-03T10:00:00Z');
  });
});
