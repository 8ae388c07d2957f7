import { addDuration, formatDuration, isPositiveDuration, parseDuration } from './duration';

describe('ISO 8601 durations', () => {
  it.each([
    ['P3D', { days: 3 }],
    ['PT4H', { hours: 4 }],
    ['P1W', { weeks: 1 }],
    ['P1Y2M10DT2H30M', { years: 1, months: 2, days: 10, hours: 2, minutes: 30 }],
    ['PT0.5S', { seconds: 0.5 }],
    ['PT2S', { seconds: 2 }],
  ])('reads %s', (text, parts) => {
    expect(parseDuration(text)).toMatchObject(parts);
  });

  it.each(['', 'P', 'PT', '3D', 'P-1D', 'P1.5D', 'P1W2D', 'PT1H2D', 'P1DT', 'p1d', 'P1D ', 'PT0.0001S'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('says a zero duration is not positive', () => {
    expect(isPositiveDuration('PT0S')).toBe(false);
    expect(isPositiveDuration('P0D')).toBe(false);
    expect(isPositiveDuration('PT1S')).toBe(true);
    expect(isPositiveDuration('nonsense')).toBe(false);
  });

  it('adds calendar months to the same day, or the last day of a shorter month', () => {
    expect(addDuration(new Date('2027-01-31T10:00:00Z'), 'P1M').toISOString()).toBe(
      '2027-02-28T10:00:00.000Z',
    );
    expect(addDuration(new Date('2028-01-31T10:00:00Z'), 'P1M').toISOString()).toBe(
      '2028-02-29T10:00:00.000Z',
    );
    expect(addDuration(new Date('2027-03-15T00:00:00Z'), 'P1Y').toISOString()).toBe(
      '2028-03-15T00:00:00.000Z',
    );
  });

  it('adds days, weeks and exact times, and goes back with sign -1', () => {
    const at = new Date('2027-01-04T08:00:00Z');
    expect(addDuration(at, 'P1W').toISOString()).toBe('2027-01-11T08:00:00.000Z');
    expect(addDuration(at, 'P1DT2H30M').toISOString()).toBe('2027-01-05T10:30:00.000Z');
    expect(addDuration(at, 'PT1.5S').toISOString()).toBe('2027-01-04T08:00:01.500Z');
    expect(addDuration(at, 'PT24H', -1).toISOString()).toBe('2027-01-03T08:00:00.000Z');
    expect(() => addDuration(at, 'soon')).toThrow(/not an ISO 8601 duration/);
  });

  it('writes a length of time as a duration', () => {
    expect(formatDuration(0)).toBe('PT0S');
    expect(formatDuration(1_500)).toBe('PT1.5S');
    expect(formatDuration(93_784_000)).toBe('P1DT2H3M4S');
    expect(formatDuration(86_400_000)).toBe('P1D');
    expect(parseDuration(formatDuration(3_723_250))).toMatchObject({ hours: 1, minutes: 2, seconds: 3.25 });
  });
});
