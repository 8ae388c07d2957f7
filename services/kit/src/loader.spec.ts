import { createGroupLoader, createLoader } from './loader';

describe('per-request loaders', () => {
  it('batches keys into one call and maps rows back to keys, null when missing', async () => {
    const calls: string[][] = [];
    const loader = createLoader(
      async (ids: readonly string[]) => {
        calls.push([...ids]);
        return ids.filter((id) => id !== 'gone').map((id) => ({ id }));
      },
      (row) => row.id,
    );
    const [a, gone, b] = await Promise.all([loader.load('a'), loader.load('gone'), loader.load('b')]);
    expect(calls).toEqual([['a', 'gone', 'b']]);
    expect([a, gone, b]).toEqual([{ id: 'a' }, null, { id: 'b' }]);
  });

  it('groups one-to-many rows by key in their order, empty for keys without rows', async () => {
    const loader = createGroupLoader(
      async () => [
        { user: 'u1', n: 1 },
        { user: 'u2', n: 2 },
        { user: 'u1', n: 3 },
      ],
      (row) => row.user,
    );
    const [u1, u2, u3] = await Promise.all([loader.load('u1'), loader.load('u2'), loader.load('u3')]);
    expect(u1.map((r) => r.n)).toEqual([1, 3]);
    expect(u2.map((r) => r.n)).toEqual([2]);
    expect(u3).toEqual([]);
  });
});
