import { hashOneTimeToken, isWellFormedToken, issueOneTimeToken } from './one-time-token';

describe('one-time token', () => {
  it('issues 1000 distinct tokens of 43 base64url characters (256 bits)', () => {
    const tokens = Array.from({ length: 1000 }, () => issueOneTimeToken().token);
    expect(new Set(tokens).size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it('stores a SHA-256 hex digest that is deterministic and differs from the token', () => {
    const { token, hash } = issueOneTimeToken();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toBe(token);
    expect(hashOneTimeToken(token)).toBe(hash);
    expect(hashOneTimeToken(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).not.toBe(hash);
  });

  it('recognises well-formed tokens and refuses anything else', () => {
    expect(isWellFormedToken(issueOneTimeToken().token)).toBe(true);
    expect(isWellFormedToken('')).toBe(false);
    expect(isWellFormedToken('A'.repeat(42))).toBe(false);
    expect(isWellFormedToken('A'.repeat(44))).toBe(false);
    expect(isWellFormedToken(`${'A'.repeat(42)}=`)).toBe(false);
    expect(isWellFormedToken(`${'A'.repeat(42)}+`)).toBe(false);
    expect(isWellFormedToken(`${'A'.repeat(43)}\n`)).toBe(false);
  });
});
