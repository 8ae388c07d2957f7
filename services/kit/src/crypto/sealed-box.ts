import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const KEY_BYTES = 32;
// 96-bit IVs are what GCM is specified for; other lengths go through an extra GHASH step.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

// One message for every failure, so a caller (or a log reader) learns nothing about why.
const CANNOT_OPEN = 'sealed value cannot be opened';

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new Error(`seal key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/** Encrypts and authenticates `plain` as `v1.<iv>.<ciphertext>.<tag>` (AES-256-GCM, base64url parts). */
export function sealFor(plain: string, key: Buffer, aad?: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Decrypts what `sealFor` produced with the same key and aad; throws on any mismatch or tampering. */
export function openSealed(sealed: string, key: Buffer, aad?: string): string {
  assertKey(key);
  const parts = sealed.split('.');
  // Buffer.from(…, 'base64url') skips characters it does not know, so check the alphabet first.
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.every((p) => B64URL.test(p))) {
    throw new Error(CANNOT_OPEN);
  }
  const [iv, ciphertext, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  // A short tag would make forgery cheaper, so only the full length is accepted.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error(CANNOT_OPEN);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(CANNOT_OPEN);
  }
}

/** Reads a seal key from configuration: base64url of exactly 32 bytes. */
export function parseSealKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64url');
  // Round-tripping rejects stray characters and padding, which the decoder would silently accept.
  if (key.length !== KEY_BYTES || key.toString('base64url') !== trimmed) {
    // The text is a secret, so it is never echoed back.
    throw new Error(
      `seal key must be ${KEY_BYTES} random bytes encoded as base64url (43 characters), ` +
        `e.g. node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  }
  return key;
}
