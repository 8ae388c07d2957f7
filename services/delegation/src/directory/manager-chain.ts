import type { DirectoryUser } from './directory.repository';

/** How far up a hierarchy a chain is followed; deeper ones are data errors, not organisations. */
const MAX_DEPTH = 64;

/**
 * The managers above a user, nearest first, as the projection knows them (line managers act for
 * their direct and indirect reports). Stops at the top, at an unknown manager, at a loop in the
 * data, or after MAX_DEPTH levels.
 */
export async function managerChain(
  userId: string,
  find: (id: string) => Promise<DirectoryUser | null>,
): Promise<string[]> {
  const chain: string[] = [];
  const seen = new Set([userId]);
  let next = (await find(userId))?.managerId ?? null;
  while (next !== null && !seen.has(next) && chain.length < MAX_DEPTH) {
    chain.push(next);
    seen.add(next);
    next = (await find(next))?.managerId ?? null;
  }
  return chain;
}
