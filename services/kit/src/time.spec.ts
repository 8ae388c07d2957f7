import { isCalendarDate, parseIsoDateTime } from './time';

describe('ISO 8601 dates and date-times', () => {
  it.each([
    ['2027-01-04', '2027-01-04T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2027-01-04T08:00', '2027-01-04T08:00:00.000Z'],
    ['2027-01-04T08:00:00Z', '2027-01-04T08:00:00.000Z'],
    ['2027-01-04T08:00:00.250+02:00', '2027-01-04T06:00:00.250Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseIsoDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2026-02-30',
    '2026-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-01T24:00:00Z',
    '2026-01-01T12:60:00Z',
    '2026-01-01T12:00:61Z',
    '2026-01-01T12:00:00+25:00',
    '2026-1-1',
    'tomorrow',
    '',
  ])('refuses %j instead of rolling it over to another day', (text) => {
    expect(parseIsoDateTime(text)).toBeNull();
  });

  it('refuses a date-time without an offset when one is required, but not a plain date', () => {
    expect(parseIsoDateTime('2027-01-04T08:00', { requireOffset: true })).toBeNull();
    expect(parseIsoDateTime('2027-01-04', { requireOffset: true })).not.toBeNull();
  });

  it('tells calendar dates that exist', () => {
    expect(isCalendarDate('2026-02-28')).toBe(true);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-02-28T00:00:00Z')).toBe(false);
  });
});
