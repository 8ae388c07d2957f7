/**
 * Synthetic users for import benchmarks: a CSV of any size, the same bytes for the same count, with
 * a manager hierarchy (each block of 50 users is one manager and their 49 reports).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

export const USERS_CSV_COLUMNS = [
  'externalId',
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

const BLOCK = 50;
// Writes are batched: one write per row would spend the run in stream bookkeeping.
const BATCH_CHARS = 64 * 1024;
const DAY_MS = 86_400_000;
// Start dates fall in 2015–2024, so they stay in the past; contractors end in 2036, after any start.
const START_FROM = Date.UTC(2015, 0, 1);
const START_SPREAD_DAYS = 3650;
const CONTRACT_END_FROM = Date.UTC(2036, 0, 1);

// Lengths 16 and 17 are coprime, so name pairs repeat only every 272 users.
// prettier-ignore
const GIVEN_NAMES = [
  'Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken',
  'Margaret', 'Dennis', 'Radia', 'Tim', 'Hedy', 'Linus', 'Karen', 'John',
];
// prettier-ignore
const FAMILY_NAMES = [
  'Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton',
  'Ritchie', 'Perlman', 'Lee', 'Lamarr', 'Torvalds', 'Jones', 'Backus', 'Ünal',
];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Operations', 'Support', 'Legal', 'Research'];
const TITLES = ['Engineer', 'Analyst', 'Specialist', 'Consultant', 'Coordinator', 'Senior Engineer'];

type EmployeeType = 'employee' | 'contractor' | 'partner' | 'service';

/** Writes `count` users as CSV to `path`, waiting for the file to drain when it falls behind. */
export async function writeUsersCsv(
  path: string,
  count: number,
  options: { organizations?: string[] } = {},
): Promise<void> {
  const organizations = options.organizations ?? ['HQ'];
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a whole number, got ${count}`);
  if (organizations.length === 0) throw new Error('organizations must not be empty');

  const out = createWriteStream(path);
  // Listening from the start: an error between two awaits would otherwise be an uncaught 'error' event.
  const closed = finished(out);
  closed.catch(() => undefined);
  try {
    let batch = `${USERS_CSV_COLUMNS.join(',')}\n`;
    for (let i = 1; i <= count; i++) {
      batch += userRow(i, organizations);
      if (batch.length >= BATCH_CHARS) {
        if (!out.write(batch)) await once(out, 'drain');
        batch = '';
      }
    }
    out.end(batch);
    await closed;
  } catch (err) {
    out.destroy();
    throw err;
  }
}

function externalId(i: number): string {
  return `E${String(i).padStart(8, '0')}`;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function csvValue(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** User i (1-based) as its CSV columns: the first of each block of 50 manages the other 49. */
export function benchUser(
  i: number,
  organizations: string[],
): Record<(typeof USERS_CSV_COLUMNS)[number], string> {
  const block = Math.floor((i - 1) / BLOCK);
  const leader = block * BLOCK + 1;
  const isLeader = i === leader;
  const given = GIVEN_NAMES[i % GIVEN_NAMES.length] ?? '';
  const family = FAMILY_NAMES[i % FAMILY_NAMES.length] ?? '';
  const username = `user${String(i).padStart(8, '0')}`;
  const type = isLeader ? 'employee' : employeeType(i);
  return {
    externalId: externalId(i),
    email: `${username}@example.com`,
    username,
    givenName: given,
    familyName: family,
    displayName: `${given} ${family}`,
    title: isLeader ? 'Team Lead' : (TITLES[i % TITLES.length] ?? ''),
    department: DEPARTMENTS[block % DEPARTMENTS.length] ?? '',
    employeeType: type,
    // A whole block shares one organisation, so managers and their reports stay together.
    organization: organizations[block % organizations.length] ?? '',
    managerExternalId: isLeader ? '' : externalId(leader),
    startDate: isoDay(START_FROM + ((i * 37) % START_SPREAD_DAYS) * DAY_MS),
    endDate: type === 'contractor' ? isoDay(CONTRACT_END_FROM + (i % 365) * DAY_MS) : '',
  };
}

function userRow(i: number, organizations: string[]): string {
  const user = benchUser(i, organizations);
  return `${USERS_CSV_COLUMNS.map((c) => csvValue(user[c])).join(',')}\n`;
}

/** 70% employees, 20% contractors, 5% partners, 5% service accounts. */
function employeeType(i: number): EmployeeType {
  const bucket = i % 20;
  if (bucket < 14) return 'employee';
  if (bucket < 18) return 'contractor';
  return bucket === 18 ? 'partner' : 'service';
}
