import { cycleThrough } from './delegation-cycle';

/** A graph of deputy edges, and a counter of the lookups the walk made. */
function graph(edges: Record<string, string[]>) {
  const looked: string[] = [];
  const deputiesOf = async (user: string) => {
    looked.push(user);
    return edges[user] ?? [];
  };
  return { deputiesOf, looked };
}

describe('cycle detection along deputy edges', () => {
  it('when the deputy already reaches the delegator, then the new edge closes a loop, reported shortest first', async () => {
    // Existing: bob → carol → ada, and bob → dan → erin → ada. New: ada → bob.
    const { deputiesOf } = graph({ bob: ['dan', 'carol'], carol: ['ada'], dan: ['erin'], erin: ['ada'] });
    expect(await cycleThrough('ada', 'bob', deputiesOf)).toEqual(['bob', 'carol', 'ada']);
  });

  it('when the deputy delegated straight back, then that is a loop of two', async () => {
    const { deputiesOf } = graph({ bob: ['ada'] });
    expect(await cycleThrough('ada', 'bob', deputiesOf)).toEqual(['bob', 'ada']);
  });

  it('when the deputy does not reach the delegator, then there is no loop', async () => {
    // A loop elsewhere (carol ↔ dan) must not make the walk run forever.
    const { deputiesOf, looked } = graph({ bob: ['carol'], carol: ['dan'], dan: ['carol'], ada: ['zoe'] });
    expect(await cycleThrough('ada', 'bob', deputiesOf)).toBeNull();
    // Each user reached is looked up once.
    expect(looked.sort()).toEqual(['bob', 'carol', 'dan']);
  });

  it('when a chain reaches a third user only, then it is no loop (a chain of deputies is allowed)', async () => {
    const { deputiesOf } = graph({ bob: ['carol'] });
    expect(await cycleThrough('ada', 'bob', deputiesOf)).toBeNull();
  });
});
