import { createHash, randomBytes } from 'node:crypto';

// 256 bits: far beyond guessing, even with many live tokens at once.
const TOKEN_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new single-use token for the user, and the hash to store in its place. */
export function issueOneTimeToken(): { token: string; hash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashOneTimeToken(token) };
}

/**
 * The stored form of a token. A fast unsalted hash is enough: the token is random and high-entropy, so a
 * leaked database does not give the tokens back.
 */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True for the shape `issueOneTimeToken` produces (43 base64url characters); lets callers refuse early. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN.test(token);
}
