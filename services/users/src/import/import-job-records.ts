import { createHash } from 'node:crypto';
import type { ImportCounts, ImportRowError } from './import-job.repository';
import type { ProfileInput } from '../directory/profile';
import type { RowOutcome } from './user-upsert';

/** At most this many records per batch: one upsert's round trips, and a request body of ~1 MB. */
export const MAX_BATCH_RECORDS = 1000;

/** One record of an import-job batch as the graph sends it (ImportRecordInput). */
export interface ImportRecordInput extends ProfileInput {
  organization?: string | null;
  managerExternalId?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  attributes?: { name: string; value?: string | null }[] | null;
}

/**
 * Fields a graph null clears, as UpdateUserInput does. The import upsert clears a field given as
 * empty text (an empty CSV cell) and leaves one given as null, so these nulls become empty text.
 */
const CLEARED_BY_NULL = new Set(['givenName', 'familyName', 'title', 'department', 'startDate', 'endDate']);

/**
 * The record the import upsert (mapRecord) understands: absent fields stay absent; null clears the
 * optional fields, removes the manager (managerExternalId) or all custom attributes (attributes),
 * and is ignored for the others; attributes go from name/value pairs to a map (the last pair of a
 * name wins, as in createUser).
 */
export function toImportRecord(input: ImportRecordInput): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input) as [keyof ImportRecordInput, unknown][]) {
    if (value === undefined) continue;
    if (key === 'attributes') {
      const pairs = value as ImportRecordInput['attributes'];
      record.attributes = Object.fromEntries((pairs ?? []).map((a) => [a.name, a.value ?? null]));
    } else if (value !== null) record[key] = value;
    else if (key === 'managerExternalId') record[key] = null;
    else if (CLEARED_BY_NULL.has(key)) record[key] = '';
  }
  return record;
}

/**
 * SHA-256 of a batch's records, to tell a retry of a batch from other records sent under a used
 * sequence. The graph hands input objects over with their fields in schema order, so the same
 * records give the same text whatever order the client wrote them in.
 */
export function batchDigest(records: readonly ImportRecordInput[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('base64url');
}

/** The counts of one batch from its outcomes (one per record). */
export function tally(outcomes: readonly RowOutcome[]): ImportCounts {
  const counts: ImportCounts = {
    received: outcomes.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
  };
  for (const o of outcomes) counts[o.outcome]++;
  return counts;
}

/** The rejected rows of a batch, numbered by sequence and index (the record's position, from 0). */
export function rowErrors(
  jobId: string,
  sequence: number,
  records: readonly ImportRecordInput[],
  outcomes: readonly RowOutcome[],
): ImportRowError[] {
  const errors: ImportRowError[] = [];
  for (const o of outcomes) {
    if (o.outcome !== 'rejected') continue;
    const externalId = records[o.line]?.externalId?.trim().slice(0, 200) || null;
    errors.push({
      _id: `${jobId}:${sequence}:${o.line}`,
      jobId,
      sequence,
      index: o.line,
      externalId,
      field: o.field ?? null,
      reason: o.reason,
    });
  }
  return errors;
}
