import { dueBucket, dueBucketFor } from './due-work';
import { mapBounded } from './batch';

describe('due buckets', () => {
  it('names the UTC minute a time falls in', () => {
    expect(dueBucket(new Date('2026-12-01T21:40:59.999Z'))).toBe('2026-12-01T21:40');
    expect(dueBucket(new Date('2026-12-01T21:41:00.000Z'))).toBe('2026-12-01T21:41');
    expect(dueBucket(new Date('2026-12-02T00:30:00+02:00'))).toBe('2026-12-01T22:30');
  });

  it('when work is due later, then it is filed under its own minute', () => {
    const now = new Date('2026-12-01T09:00:00Z');
    expect(dueBucketFor(new Date('2027-01-04T08:00:30Z'), now)).toBe('2027-01-04T08:00');
  });

  it('when work is already due, then it is filed under the current minute, which a sweep has not left yet', () => {
    const now = new Date('2026-12-01T09:00:10Z');
    expect(dueBucketFor(new Date('2026-11-01T00:00:00Z'), now)).toBe('2026-12-01T09:00');
  });
});

describe('bounded concurrency', () => {
  it('keeps at most the limit in flight and returns results in the order of the items', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('returns an empty list for no items without calling the work', async () => {
    const work = jest.fn();
    expect(await mapBounded([], 4, work)).toEqual([]);
    expect(work).not.toHaveBeenCalled();
  });
});
