import type { ImportedUser } from './map-record';
import { managersFirst } from './user-upsert';

const row = (key: string, manager?: string) => ({
  key: `default:${key}`,
  user: { managerExternalId: manager ?? null } as ImportedUser,
});
const order = (rows: ReturnType<typeof row>[]) => managersFirst(rows).map((r) => r.key.slice(8));

describe('rows of a batch, managers first', () => {
  it('when reports come before their managers, then each manager moves ahead of their reports', () => {
    expect(order([row('R1', 'M'), row('R2', 'R1'), row('M', 'TOP'), row('TOP')])).toEqual([
      'TOP',
      'M',
      'R1',
      'R2',
    ]);
  });

  it('when managers already come first, or are outside the batch, then the order stays', () => {
    expect(order([row('M'), row('R1', 'M'), row('X', 'ELSEWHERE'), row('R2', 'M')])).toEqual([
      'M',
      'R1',
      'X',
      'R2',
    ]);
  });

  it('when managers form a cycle, then every row is kept once and the cycle keeps its order', () => {
    const out = order([row('A', 'B'), row('B', 'A'), row('C', 'C')]);
    expect(out.sort()).toEqual(['A', 'B', 'C']);
    expect(out).toHaveLength(3);
  });
});
