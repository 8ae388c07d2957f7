/**
 * ISO 8601 durations (`P3D`, `PT4H`, `P1W`, `P1Y2M10DT2H30M`, `PT0.5S`), as approval deadlines,
 * reminders, escalation levels and maximum grant lengths are written. Years, months and days are
 * calendar units added in UTC (P1M after 31 January is the last day of February); hours, minutes
 * and seconds are exact. Negative durations and the week form mixed with others are refused
 * (ISO 8601-1:2019 §5.5.2.4 keeps weeks apart).
 */
const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Parses an ISO 8601 duration; null when the text is not one this parser accepts. */
export function parseDuration(text: string): Duration | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (weeks > 0 && [years, months, days, hours, minutes, seconds].some((v) => v > 0)) return null;
  return { years, months, weeks, days, hours, minutes, seconds };
}

/** True when `text` is a duration parseDuration accepts and it is longer than zero. */
export function isPositiveDuration(text: string): boolean {
  const d = parseDuration(text);
  return d !== null && Object.values(d).some((v) => v > 0);
}

/** `at` moved by the duration, forward (sign 1) or back (sign -1). */
export function addDuration(at: Date, duration: Duration | string, sign: 1 | -1 = 1): Date {
  const d = typeof duration === 'string' ? parseDuration(duration) : duration;
  if (!d) throw new Error(`not an ISO 8601 duration: ${String(duration)}`);
  const out = new Date(at.getTime());
  const months = sign * (d.years * 12 + d.months);
  if (months !== 0) {
    const day = out.getUTCDate();
    out.setUTCDate(1);
    out.setUTCMonth(out.getUTCMonth() + months);
    // The same day of the month, or the month's last day when it is shorter.
    const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
    out.setUTCDate(Math.min(day, last));
  }
  out.setUTCDate(out.getUTCDate() + sign * (d.weeks * 7 + d.days));
  const ms = (d.hours * 3600 + d.minutes * 60 + d.seconds) * 1000;
  return new Date(out.getTime() + sign * ms);
}

/** A length of time as an ISO 8601 duration in days, hours, minutes and seconds (e.g. `P1DT2H0.5S`). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms)) / 1000;
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = +(total % 60).toFixed(3);
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
