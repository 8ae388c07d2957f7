import { BadInputError, parseIsoDateTime } from '@concierge/kit';
import { EMPLOYEE_TYPES, type EmployeeType } from './user.model';
import { USER_ERRORS } from './directory.errors';

/** The descriptive fields of a user, normalised. */
export interface Profile {
  email: string;
  username: string;
  givenName: string | null;
  familyName: string | null;
  displayName: string;
  title: string | null;
  department: string | null;
  employeeType: EmployeeType;
  externalId: string | null;
  source: string | null;
}

/** Profile fields as callers send them (graph, import rows, HR feed); absent means "unchanged". */
export interface ProfileInput {
  email?: string | null;
  username?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  displayName?: string | null;
  title?: string | null;
  department?: string | null;
  employeeType?: string | null;
  externalId?: string | null;
  source?: string | null;
}

/** The source recorded for an external id given without one. */
export const DEFAULT_SOURCE = 'default';

// Pragmatic e-mail check: one @, no spaces, a dot in the domain (RFC 5321 limits the length to 254).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME = /^[a-z0-9][a-z0-9._@+-]{0,127}$/;
/** A source system's name (lower case): what external ids are unique within. */
export const SOURCE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function text(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new BadInputError(field, `${field} must be text`);
  const trimmed = value.trim();
  if (trimmed.length > max) {
    throw new BadInputError(field, `${field} must have at most ${max} characters`, USER_ERRORS.TOO_LONG);
  }
  return trimmed === '' ? null : trimmed;
}

/** Lower case, trimmed and NFKC-normalised, so look-alike spellings of one address are one key. */
export function normalizeLogin(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}

export function normalizeEmail(value: string | null | undefined): string {
  const email = normalizeLogin(value ?? '');
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new BadInputError(
      'email',
      `"${(value ?? '').slice(0, 100)}" is not a valid e-mail address`,
      USER_ERRORS.BAD_EMAIL,
    );
  }
  return email;
}

/**
 * Validates and normalises profile fields over `base` (the stored profile when updating). Every
 * fault is a BAD_USER_INPUT naming its field.
 */
export function normalizeProfile(input: ProfileInput, base?: Profile): Profile {
  const has = (key: keyof ProfileInput) => input[key] !== undefined;
  const email = has('email') || !base ? normalizeEmail(input.email) : base.email;

  let username = base?.username ?? email;
  const givenUsername = input.username;
  if (typeof givenUsername === 'string' && givenUsername.trim() !== '') {
    username = normalizeLogin(givenUsername);
    if (!USERNAME.test(username)) {
      throw new BadInputError(
        'username',
        'username must have 1 to 128 characters: letters, digits and . _ @ + -, starting with a letter or digit',
        USER_ERRORS.BAD_USERNAME,
      );
    }
  } else if (!base || base.username === base.email) username = email;
  // Sign-in looks a login up as a username first, then as an e-mail address. A username that is
  // another address would route that address's owner to this account, so a username holding an @
  // must be the user's own address; it then moves with the address (above). The unique indexes on
  // both fields make this hold across users, with no cross-field lookup to race.
  if (username.includes('@') && username !== email) {
    throw new BadInputError(
      'username',
      "a username with an @ must be the user's own e-mail address",
      USER_ERRORS.USERNAME_IS_OTHER_EMAIL,
    );
  }

  const givenName = has('givenName') ? text('givenName', input.givenName, 100) : (base?.givenName ?? null);
  const familyName = has('familyName')
    ? text('familyName', input.familyName, 100)
    : (base?.familyName ?? null);
  let displayName = has('displayName')
    ? text('displayName', input.displayName, 200)
    : (base?.displayName ?? null);
  if (displayName === null) displayName = [givenName, familyName].filter(Boolean).join(' ') || null;
  if (displayName === null) {
    throw new BadInputError(
      'displayName',
      'displayName (or a given or family name) is required',
      USER_ERRORS.NO_NAME,
    );
  }

  let employeeType: EmployeeType = base?.employeeType ?? 'EMPLOYEE';
  if (has('employeeType') && input.employeeType !== null) {
    const candidate = String(input.employeeType).trim().toUpperCase();
    if (!(EMPLOYEE_TYPES as readonly string[]).includes(candidate)) {
      throw new BadInputError(
        'employeeType',
        `employeeType must be one of ${EMPLOYEE_TYPES.join(', ').toLowerCase()}`,
        USER_ERRORS.BAD_EMPLOYEE_TYPE,
      );
    }
    employeeType = candidate as EmployeeType;
  }

  const externalId = has('externalId')
    ? text('externalId', input.externalId, 200)
    : (base?.externalId ?? null);
  let source = has('source')
    ? (text('source', input.source, 64)?.toLowerCase() ?? null)
    : (base?.source ?? null);
  if (externalId !== null && source === null) source = DEFAULT_SOURCE;
  if (source !== null && !SOURCE.test(source)) {
    throw new BadInputError(
      'source',
      'source must be a short name: letters, digits, . _ -',
      USER_ERRORS.BAD_SOURCE,
    );
  }
  if (externalId === null) source = null;

  return {
    email,
    username,
    givenName,
    familyName,
    displayName,
    title: has('title') ? text('title', input.title, 200) : (base?.title ?? null),
    department: has('department') ? text('department', input.department, 200) : (base?.department ?? null),
    employeeType,
    externalId,
    source,
  };
}

/** The unique key of an external id: one id per source system. */
export function externalKeyOf(profile: Pick<Profile, 'externalId' | 'source'>): string | undefined {
  return profile.externalId === null
    ? undefined
    : `${profile.source ?? DEFAULT_SOURCE}:${profile.externalId}`;
}

/** Parses an ISO 8601 date or date-time, or BAD_USER_INPUT on `field`. */
export function parseDate(field: string, value: string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = parseIsoDateTime(value);
  if (!date) {
    throw new BadInputError(
      field,
      `${field} must be an ISO 8601 date or date-time that exists, e.g. 2027-01-04T08:00:00Z`,
    );
  }
  return date;
}

/** Checks that an end date, when set, comes after the start date. */
export function checkDates(startDate: Date | null, endDate: Date | null): void {
  if (startDate && endDate && endDate.getTime() <= startDate.getTime()) {
    throw new BadInputError('endDate', 'endDate must be after startDate', USER_ERRORS.END_BEFORE_START);
  }
}
