/**
 * In-process mutual exclusion per document. FerretDB v1 applies an update as read-modify-write of
 * the whole document, so two concurrent updates of one document both report success and the
 * last one silently undoes the other. Every writer of documents that carry an outbox (the relay
 * clearing it, use cases changing the aggregate) takes this lock, which makes their updates
 * atomic with respect to each other within a process. MongoDB needs no such lock; FerretDB with
 * several processes writing one document remains exposed (see README, "FerretDB").
 */
const tails = new Map<string, Promise<void>>();

/**
 * The lock key of one document: collection name and id. (Not the database name: mongoose's
 * collection wrapper and the driver's disagree on it, and ids are UUIDs.)
 */
export function documentKey(collection: string, id: unknown): string {
  return `${collection}/${String(id)}`;
}

async function acquire(key: string): Promise<() => void> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  return () => {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  };
}

/** Runs `work` holding the locks of all `keys` (taken in sorted order, so two callers cannot deadlock). */
export async function withDocumentLocks<T>(keys: string[], work: () => Promise<T>): Promise<T> {
  const releases: (() => void)[] = [];
  try {
    for (const key of [...new Set(keys)].sort()) releases.push(await acquire(key));
    return await work();
  } finally {
    for (const release of releases.reverse()) release();
  }
}
