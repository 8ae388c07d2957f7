/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Field names that carry secrets: passwords, tokens, secrets, sealed boxes, hashes, credentials. */
const SECRET_NAME = /password|token|secret|sealed|hash|credential/i;
/**
 * Names that only identify or date a secret (tokenId, credentialIds, passwordChangedAt) stay
 * readable: the trail must say which token was revoked and when a password changed.
 */
const REFERENCE_NAME = /(Id|Ids|At)$/;
/**
 * Values that are secrets whatever their field is called: PHC hashes ($argon2id$…, $2b$…),
 * JWTs, and sealed boxes (v1.<iv>.<ciphertext>.<tag>, kit sealFor).
 */
const SECRET_VALUE = [
  /^\$(argon2(id|i|d)|2[abxy]?|scrypt|pbkdf2[-\w]*)\$/,
  /^eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*$/,
  /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/,
];
/** Deeper than any event schema nests; beyond it values are cut, not walked (no unbounded recursion). */
const MAX_DEPTH = 32;

/** Whether a field of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name);
}

function isSecretValue(value: string): boolean {
  return SECRET_VALUE.some((pattern) => pattern.test(value));
}

/**
 * A copy of `value` with secrets replaced by "[REDACTED]", through nested objects and arrays:
 * every field whose name looks secret (null stays null, so "cleared" remains visible) and every
 * string that has the shape of a hash, JWT or sealed box.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return isSecretValue(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      isSecretName(key) && item !== null ? REDACTED : redact(item, depth + 1),
    ]),
  );
}
