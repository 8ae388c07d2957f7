/**
 * Whether a new delegation delegator → deputy would close a loop of deputies: following deputy
 * edges from the deputy reaches the delegator. `deputiesOf` gives a user's outgoing edges that
 * count (live delegations whose periods overlap the new one's); it is called once per user
 * reached, so the walk costs one lookup per user in the delegator's reach. Returns the path from
 * the deputy to the delegator, or null when there is no loop.
 */
export async function cycleThrough(
  delegatorId: string,
  deputyId: string,
  deputiesOf: (userId: string) => Promise<readonly string[]>,
): Promise<string[] | null> {
  // Breadth first, so the loop reported is a shortest one.
  const cameFrom = new Map<string, string | null>([[deputyId, null]]);
  let frontier = [deputyId];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const user of frontier) {
      if (user === delegatorId) return pathTo(user, cameFrom);
      for (const deputy of await deputiesOf(user)) {
        if (cameFrom.has(deputy)) continue;
        cameFrom.set(deputy, user);
        next.push(deputy);
      }
    }
    frontier = next;
  }
  return null;
}

function pathTo(end: string, cameFrom: ReadonlyMap<string, string | null>): string[] {
  const path = [end];
  for (let at = cameFrom.get(end); at != null; at = cameFrom.get(at)) path.unshift(at);
  return path;
}
