import type { CreateUserInput } from '../directory/create-user';

/**
 * One row of an import file, an import-job batch or an HR feed record, mapped to the fields of a
 * user. Imports name organisations by code and managers by external id, because that is what a
 * source system knows; the upsert resolves both.
 */
export interface ImportedUser {
  input: Omit<CreateUserInput, 'organizationId' | 'managerId'> & { externalId: string };
  organizationCode: string | null;
  /** Manager's external id in the same source; null clears the manager; undefined leaves it. */
  managerExternalId: string | null | undefined;
}

/** Why a row is not imported, and the field at fault when there is one. */
export class RowError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const TEXT_FIELDS = [
  'externalId',
  'source',
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'title',
  'department',
  'employeeType',
  'organization',
  'managerExternalId',
  'startDate',
  'endDate',
] as const;
const KNOWN = new Set<string>([...TEXT_FIELDS, 'attributes']);

/** The columns (CSV header names, NDJSON keys) an import understands, for help texts and the README. */
export const IMPORT_FIELDS: readonly string[] = [...TEXT_FIELDS, 'attributes.<name>'];

/**
 * Maps a record to user fields. `defaultSource` applies when the record names none. Unknown fields
 * are refused rather than ignored: a misspelt column would otherwise drop data silently.
 */
export function mapRecord(record: Record<string, unknown>, defaultSource: string): ImportedUser {
  for (const key of Object.keys(record)) {
    if (!KNOWN.has(key)) throw new RowError(`unknown field "${key.slice(0, 64)}"`, key.slice(0, 64));
  }
  const text: Partial<Record<(typeof TEXT_FIELDS)[number], string>> = {};
  for (const key of TEXT_FIELDS) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new RowError(`${key} must be text`, key);
    text[key] = String(value);
  }
  const attributes = record.attributes;
  if (
    attributes !== undefined &&
    (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
  ) {
    throw new RowError('attributes must be an object of name → value', 'attributes');
  }
  if (!text.externalId?.trim()) throw new RowError('externalId is required to import a user', 'externalId');
  if (!text.email) throw new RowError('email is required', 'email');
  return {
    input: {
      externalId: text.externalId.trim(),
      source: text.source ?? defaultSource,
      email: text.email,
      username: text.username,
      givenName: text.givenName,
      familyName: text.familyName,
      displayName: text.displayName,
      title: text.title,
      department: text.department,
      employeeType: text.employeeType,
      startDate: text.startDate,
      endDate: text.endDate,
      attributes: attributes as Record<string, unknown> | undefined,
    },
    organizationCode: text.organization?.trim().toUpperCase() ?? null,
    managerExternalId: 'managerExternalId' in record ? (text.managerExternalId?.trim() ?? null) : undefined,
  };
}
