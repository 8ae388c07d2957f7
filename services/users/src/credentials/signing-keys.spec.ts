import type { SigningKeyRecord } from './signing-key.repository';
import { keyStates, RETIRED_KEY_PUBLISHED_MS, rotationDue } from './signing-keys';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const DAY = 86_400_000;

function record(generation: number, activatedMs: number): SigningKeyRecord {
  return {
    _id: `gen-${generation}`,
    kid: `k${generation}`,
    generation,
    publicJwk: { kty: 'EC', kid: `k${generation}` },
    sealedPrivateJwk: 'v1.sealed',
    createdAt: at(activatedMs - 120_000),
    activatedAt: at(activatedMs),
  };
}

const stateOf = (records: SigningKeyRecord[], nowMs: number) =>
  Object.fromEntries(keyStates(records, at(nowMs)).map((s) => [s.kid, s.state]));

describe('signing key states', () => {
  const first = record(1, 0);
  const second = record(2, 10 * DAY);

  it('when a newer key is not activated yet, then it is pending and the older one still signs', () => {
    expect(stateOf([first, second], 10 * DAY - 1)).toEqual({ k1: 'active', k2: 'pending' });
  });

  it('when the newer key activates, then it signs and the older one is retired at that moment', () => {
    expect(stateOf([first, second], 10 * DAY)).toEqual({ k1: 'retired', k2: 'active' });
    const old = keyStates([first, second], at(10 * DAY)).find((s) => s.kid === 'k1');
    expect(old?.retiredAt).toEqual(second.activatedAt);
    expect(old?.publishedUntil).toEqual(at(10 * DAY + RETIRED_KEY_PUBLISHED_MS));
  });

  it('when the longest token lifetime plus the margin has passed since retirement, then the old key is expired', () => {
    expect(stateOf([first, second], 10 * DAY + RETIRED_KEY_PUBLISHED_MS - 1).k1).toBe('retired');
    expect(stateOf([first, second], 10 * DAY + RETIRED_KEY_PUBLISHED_MS).k1).toBe('expired');
  });

  it('when rotations follow each other closely, then each key retires when the next one took over', () => {
    const third = record(3, 10 * DAY + 60_000);
    const states = keyStates([first, second, third], at(10 * DAY + 120_000));
    expect(Object.fromEntries(states.map((s) => [s.kid, s.state]))).toEqual({
      k1: 'retired',
      k2: 'retired',
      k3: 'active',
    });
    expect(states.find((s) => s.kid === 'k2')?.retiredAt).toEqual(third.activatedAt);
  });

  it('when no key is activated yet (clocks apart), then the first to activate signs', () => {
    expect(stateOf([record(1, 5_000)], 0)).toEqual({ k1: 'active' });
  });

  it('lists the newest generation first', () => {
    expect(keyStates([first, second], at(0)).map((s) => s.kid)).toEqual(['k2', 'k1']);
  });
});

describe('rotation due', () => {
  it('when the newest key is as old as the interval, then a rotation is due', () => {
    expect(rotationDue([record(1, 0)], at(30 * DAY - 1), 30 * DAY)).toBe(false);
    expect(rotationDue([record(1, 0)], at(30 * DAY), 30 * DAY)).toBe(true);
  });

  it('when a newer key is pending, then its activation counts, not the old key', () => {
    expect(rotationDue([record(1, 0), record(2, 40 * DAY)], at(40 * DAY), 30 * DAY)).toBe(false);
  });

  it('when the interval is 0, then it is never due', () => {
    expect(rotationDue([record(1, 0)], at(10_000 * DAY), 0)).toBe(false);
  });
});
