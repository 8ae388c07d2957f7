import { DEFAULT_RETRY, nextDelay } from './retry';

const noJitter = { ...DEFAULT_RETRY, jitter: 0 };

describe('retry policy', () => {
  it('doubles the delay after each failed attempt', () => {
    expect([1, 2, 3, 4].map((a) => nextDelay(noJitter, a))).toEqual([200, 400, 800, 1600]);
  });

  it('gives up after the last attempt, so the message can go to the dead-letter topic', () => {
    expect(nextDelay(noJitter, 5)).toBeNull();
  });

  it('never waits longer than the maximum delay', () => {
    expect(nextDelay({ ...noJitter, attempts: 20 }, 15)).toBe(5_000);
  });

  it('spreads delays within the jitter band', () => {
    const policy = { ...DEFAULT_RETRY, jitter: 0.2 };
    expect(nextDelay(policy, 1, () => 0)).toBe(160);
    expect(nextDelay(policy, 1, () => 1)).toBe(240);
  });
});
