import { BadInputError } from '@concierge/kit';
import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_ERRORS } from './credential.errors';

/** Counted in Unicode code points, so a password of emoji or CJK characters is measured as a person sees it. */
export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing stays cheap for oversized input. */
export const MAX_PASSWORD_LENGTH = 256;
// Shorter identity parts (e.g. "jo") would refuse too many good passwords.
const MIN_IDENTITY_PART = 3;

let common: ReadonlySet<string> | undefined;

// Built on first use: about 49,000 entries that a process not setting passwords never needs.
function commonPasswords(): ReadonlySet<string> {
  return (common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())));
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function identityParts(who: { username?: string | null; email: string }): string[] {
  const email = who.email.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  const parts = [email, at > 0 ? email.slice(0, at) : '', who.username?.trim().toLowerCase() ?? ''];
  return parts.filter((p) => codePoints(p) >= MIN_IDENTITY_PART);
}

/**
 * Throws BadInputError on `password` when it breaks the policy. Messages say what to change and never
 * repeat the password.
 */
export function checkPassword(password: string, who: { username?: string | null; email: string }): void {
  // Each code point takes at most two UTF-16 units, so this bounds the work before counting.
  const length = password.length > MAX_PASSWORD_LENGTH * 2 ? Infinity : codePoints(password);
  if (length > MAX_PASSWORD_LENGTH) {
    throw new BadInputError(
      'password',
      `password must have at most ${MAX_PASSWORD_LENGTH} characters`,
      PASSWORD_ERRORS.TOO_LONG,
    );
  }
  if (length < MIN_PASSWORD_LENGTH) {
    throw new BadInputError(
      'password',
      `password must have at least ${MIN_PASSWORD_LENGTH} characters`,
      PASSWORD_ERRORS.TOO_SHORT,
    );
  }
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) {
    throw new BadInputError(
      'password',
      'password is on a list of commonly used passwords; choose a less predictable one',
      PASSWORD_ERRORS.COMMON,
    );
  }
  if (identityParts(who).some((part) => lower.includes(part))) {
    throw new BadInputError(
      'password',
      'password must not contain your username or e-mail address',
      PASSWORD_ERRORS.CONTAINS_IDENTITY,
    );
  }
}
