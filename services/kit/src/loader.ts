import DataLoader from 'dataloader';

/**
 * A per-request DataLoader over a batch function that returns rows in any order; rows are
 * matched back to keys by `keyOf`, and missing keys resolve to null.
 */
export function createLoader<K extends string, V>(
  batch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (row: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const rows = await batch(keys);
    const byKey = new Map<K, V>();
    for (const row of rows) byKey.set(keyOf(row), row);
    return keys.map((k) => byKey.get(k) ?? null);
  });
}

/**
 * A per-request DataLoader for one-to-many reads: one batch query, rows grouped by `keyOf`
 * (order kept), and an empty list for keys without rows.
 */
export function createGroupLoader<K extends string, V>(
  batch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (row: V) => K,
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const groups = new Map<K, V[]>();
    for (const row of await batch(keys)) {
      const key = keyOf(row);
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}
