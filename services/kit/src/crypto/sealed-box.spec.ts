import { randomBytes } from 'node:crypto';
import { openSealed, parseSealKey, sealFor } from './sealed-box';

const key = randomBytes(32);
const CANNOT_OPEN = 'sealed value cannot be opened';

/** Replaces one character of part `index` (1 iv, 2 ciphertext, 3 tag) with another base64url character. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index]!;
  parts[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
  return parts.join('.');
}

describe('sealed box', () => {
  it('opens what it sealed', () => {
    const sealed = sealFor('set-password token ✓', key, 'user:42');
    expect(openSealed(sealed, key, 'user:42')).toBe('set-password token ✓');
  });

  it('produces v1.<iv>.<ciphertext>.<tag> in base64url', () => {
    expect(sealFor('hello', key)).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  });

  it('round-trips an empty string', () => {
    expect(openSealed(sealFor('', key), key)).toBe('');
  });

  it('seals the same text differently each time', () => {
    const a = sealFor('same text', key);
    const b = sealFor('same text', key);
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it.each([
    ['iv', 1],
    ['ciphertext', 2],
    ['tag', 3],
  ])('detects a changed %s', (_name, index) => {
    const sealed = sealFor('a fairly long secret value', key);
    expect(() => openSealed(tamper(sealed, index), key)).toThrow(CANNOT_OPEN);
  });

  it('refuses to open with another key', () => {
    const sealed = sealFor('secret', key);
    expect(() => openSealed(sealed, randomBytes(32))).toThrow(CANNOT_OPEN);
  });

  it('refuses to open when the aad differs or is missing', () => {
    const sealed = sealFor('secret', key, 'user:1');
    expect(() => openSealed(sealed, key, 'user:2')).toThrow(CANNOT_OPEN);
    expect(() => openSealed(sealed, key)).toThrow(CANNOT_OPEN);
    expect(() => openSealed(sealFor('secret', key), key, 'user:1')).toThrow(CANNOT_OPEN);
  });

  it.each([
    '',
    'garbage',
    'v2.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.AAAAAAAAAAAAAAAA.AAAA',
    'v1.AAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.AAAAAAAAAAAAAAAA.AA*A.AAAAAAAAAAAAAAAAAAAAAA',
  ])('refuses the malformed value %j without detail', (sealed) => {
    expect(() => openSealed(sealed, key)).toThrow(new Error(CANNOT_OPEN));
  });

  it('refuses a truncated tag', () => {
    const sealed = sealFor('secret', key);
    const shortTag = sealed.slice(0, sealed.lastIndexOf('.') + 1) + 'AAAAAA';
    expect(() => openSealed(shortTag, key)).toThrow(CANNOT_OPEN);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => sealFor('secret', randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseSealKey', () => {
  it('reads 32 bytes of base64url, ignoring surrounding whitespace', () => {
    const text = key.toString('base64url');
    expect(parseSealKey(`${text}\n`).equals(key)).toBe(true);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64url')],
    ['too long', randomBytes(33).toString('base64url')],
    ['plain base64 with padding', `${key.toString('base64')}`],
    ['not base64url', '!'.repeat(43)],
    ['empty', ''],
  ])('refuses a key that is %s and names the expected format', (_name, text) => {
    expect(() => parseSealKey(text)).toThrow(/32 random bytes encoded as base64url/);
  });

  it('never echoes the key text in its error', () => {
    const text = randomBytes(31).toString('base64url');
    expect(() => parseSealKey(text)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(text) }),
    );
  });
});
