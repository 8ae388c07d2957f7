import { EventContractError } from '@concierge/kit';
import { DEFAULT_SOURCE, externalKeyOf } from '../directory/profile';

/** The HR feed's event types (schema/events/hr.*.v1.json), all on concierge.hr-feed.v1. */
export const HR_JOINER = 'hr.joiner';
export const HR_MOVER = 'hr.mover';
export const HR_LEAVER = 'hr.leaver';

/** Who the writes the feed causes are attributed to. */
export const HR_FEED_ACTOR = 'system:hr-feed';

/** A joiner or mover: the HR system's full current record of a person (hr.joiner/v1, hr.mover/v1). */
export interface HrPersonRecord {
  externalId: string;
  source?: string;
  email: string;
  username?: string;
  givenName: string | null;
  familyName: string | null;
  displayName?: string;
  title: string | null;
  department: string | null;
  employeeType: string;
  organization: string;
  managerExternalId: string | null;
  startDate: string;
  endDate: string | null;
  attributes?: Record<string, string | number | boolean>;
}

/** A leaver (hr.leaver/v1). */
export interface HrLeaverRecord {
  externalId: string;
  source?: string;
  endDate: string;
  reason?: string;
}

/**
 * A record Concierge cannot apply as sent (unknown organisation, manager or person, a bad e-mail
 * address...). Like a contract violation it is never retried: the consumer sends it to the
 * dead-letter topic with this message as the reason, and nothing is written.
 */
export class HrRecordRejectedError extends EventContractError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${message} (field ${field})` : message);
    this.name = 'HrRecordRejected';
  }
}

/**
 * The same record as an import row. The feed sends full records, so null clears a field, which an
 * import row says with an empty value; and a record without displayName means the given and
 * family name, which an empty displayName says. managerExternalId keeps its null (no manager).
 */
export function toImportRecord(record: HrPersonRecord): Record<string, unknown> {
  const row: Record<string, unknown> = { displayName: '' };
  for (const [field, value] of Object.entries(record)) {
    row[field] = value === null && field !== 'managerExternalId' ? '' : value;
  }
  return row;
}

/**
 * The `source:externalId` key a record's person is stored under, normalised as the upsert and
 * normalizeProfile do (source trimmed, lower case, the default when absent).
 */
export function personKey(record: Pick<HrLeaverRecord, 'externalId' | 'source'>): string {
  const source = record.source?.trim().toLowerCase() || DEFAULT_SOURCE;
  return externalKeyOf({ externalId: record.externalId.trim(), source }) as string;
}

/** The Kafka key keeps one person's records in order only if the subject is their external id. */
export function checkSubject(subject: string, record: { externalId: string }): void {
  if (subject !== record.externalId) {
    throw new HrRecordRejectedError(
      `subject ${subject.slice(0, 64)} is not the record's externalId ${record.externalId.slice(0, 64)}`,
      'externalId',
    );
  }
}
