import { withDocumentLocks } from './locks';

const tick = () => new Promise((r) => setImmediate(r));

describe('document locks', () => {
  it('runs writers of the same document one after the other', async () => {
    const log: string[] = [];
    const writer = (name: string) =>
      withDocumentLocks(['db/users/1'], async () => {
        log.push(`${name} start`);
        await tick();
        log.push(`${name} end`);
      });
    await Promise.all([writer('a'), writer('b')]);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('lets writers of different documents overlap', async () => {
    const log: string[] = [];
    const writer = (id: string) =>
      withDocumentLocks([`db/users/${id}`], async () => {
        log.push(`${id} start`);
        await tick();
        log.push(`${id} end`);
      });
    await Promise.all([writer('1'), writer('2')]);
    expect(log.slice(0, 2)).toEqual(['1 start', '2 start']);
  });

  it('takes several locks without deadlock whatever the order callers name them', async () => {
    const done = await Promise.all([
      withDocumentLocks(['k/1', 'k/2'], async () => 'x'),
      withDocumentLocks(['k/2', 'k/1'], async () => 'y'),
    ]);
    expect(done).toEqual(['x', 'y']);
  });

  it('releases the lock when the work throws', async () => {
    await expect(withDocumentLocks(['k/3'], async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await expect(withDocumentLocks(['k/3'], async () => 'free')).resolves.toBe('free');
  });
});
