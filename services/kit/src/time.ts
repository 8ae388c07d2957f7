/**
 * ISO 8601 calendar dates and date-times as clients send them: `2027-01-04`, or
 * `2027-01-04T08:00`, `2027-01-04T08:00:00.123Z`, `2027-01-04T08:00:00+02:00`. A date-time without
 * an offset is read as UTC. JavaScript's Date rolls impossible dates over (2026-02-30 becomes
 * 2026-03-02); this refuses them instead.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses an ISO 8601 date or date-time; null when the text is not one, or names a day or time
 * that does not exist. `requireOffset` refuses a date-time without Z or ±hh:mm.
 */
export function parseIsoDateTime(text: string, options: { requireOffset?: boolean } = {}): Date | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, offset] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (h === undefined) return new Date(Date.UTC(year, month - 1, day));
  if (options.requireOffset && offset === undefined) return null;
  const [hour, minute, second] = [Number(h), Number(mi), Number(s ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (offset && offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4)) > 59))
    return null;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${fraction ?? ''}${offset ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** True when `text` is a calendar date (YYYY-MM-DD) that exists. */
export function isCalendarDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && parseIsoDateTime(text) !== null;
}
