import { Writable } from 'node:stream';
import { createProgress, type Outcome } from './progress';

function fakeStream(isTTY?: boolean) {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  if (isTTY !== undefined) Object.assign(stream, { isTTY });
  return { stream, writes };
}

function fakeClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

function tickMany(progress: { tick(outcome: Outcome): void }, outcome: Outcome, n: number): void {
  for (let i = 0; i < n; i++) progress.tick(outcome);
}

describe('createProgress', () => {
  it('counts rows by outcome and computes the rate over the elapsed time', () => {
    const clock = fakeClock();
    const { stream } = fakeStream();
    const progress = createProgress({ stream, isTTY: false, now: clock.now });
    tickMany(progress, 'created', 6);
    tickMany(progress, 'updated', 2);
    progress.tick('unchanged');
    progress.tick('rejected');
    expect(progress.counts).toEqual({ created: 6, updated: 2, unchanged: 1, rejected: 1 });
    clock.t += 2500;
    expect(progress.done()).toEqual({
      counts: { created: 6, updated: 2, unchanged: 1, rejected: 1 },
      rows: 10,
      elapsedMs: 2500,
      rowsPerSecond: 4,
    });
  });

  it('redraws the terminal line in place at most once per interval', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream();
    const progress = createProgress({ stream, isTTY: true, now: clock.now, intervalMs: 200 });
    for (const step of [50, 100, 49]) {
      clock.t += step;
      progress.tick('created');
    }
    expect(writes).toEqual([]);
    clock.t += 1;
    progress.tick('created');
    clock.t += 150;
    progress.tick('created');
    expect(writes).toHaveLength(1);
    clock.t += 50;
    progress.tick('created');
    expect(writes).toHaveLength(2);
    expect(writes.every((line) => line.startsWith('\r') && line.endsWith('\x1b[K'))).toBe(true);
  });

  it('shows a bar, rows done, the rate and each outcome when the total is known', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream();
    const progress = createProgress({ total: 4000, stream, isTTY: true, now: clock.now });
    tickMany(progress, 'created', 1500);
    tickMany(progress, 'rejected', 499);
    clock.t += 1000;
    progress.tick('updated');
    expect(writes).toEqual([
      '\r[##########----------]  50%  2,000/4,000 rows  2,000 rows/s  ' +
        'created 1,500  updated 1  unchanged 0  rejected 499\x1b[K',
    ]);
  });

  it('shows rows done without a bar when the total is unknown', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream();
    const progress = createProgress({ stream, isTTY: true, now: clock.now });
    tickMany(progress, 'unchanged', 99);
    clock.t += 500;
    progress.tick('unchanged');
    expect(writes).toEqual(['\r100 rows  200 rows/s  created 0  updated 0  unchanged 100  rejected 0\x1b[K']);
  });

  it('prints a plain line every 5 seconds when the stream is not a terminal', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream(false);
    const progress = createProgress({ total: 100, stream, now: clock.now, intervalMs: 200 });
    for (let i = 0; i < 20; i++) {
      clock.t += 500;
      progress.tick('created');
    }
    expect(writes).toEqual([
      'Processed 10/100 rows (10%), 2.0 rows/s: created 10, updated 0, unchanged 0, rejected 0\n',
      'Processed 20/100 rows (20%), 2.0 rows/s: created 20, updated 0, unchanged 0, rejected 0\n',
    ]);
  });

  it('takes a terminal stream for one unless told otherwise', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream(true);
    const progress = createProgress({ stream, now: clock.now });
    clock.t += 200;
    progress.tick('created');
    expect(writes[0]).toMatch(/^\r1 row {2}5\.0 rows\/s/);
  });

  it('ends by replacing the terminal line with a summary line, once', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream();
    const progress = createProgress({ total: 3, stream, isTTY: true, now: clock.now });
    tickMany(progress, 'created', 2);
    progress.tick('rejected');
    clock.t += 1500;
    const summary = progress.done();
    expect(progress.done()).toBe(summary);
    expect(writes).toEqual([
      '\r\x1b[KDone: 3 rows in 1.5 s, 2.0 rows/s: created 2, updated 0, unchanged 0, rejected 1\n',
    ]);
  });

  it('ends with a plain summary line when not on a terminal', () => {
    const clock = fakeClock();
    const { stream, writes } = fakeStream();
    const progress = createProgress({ stream, isTTY: false, now: clock.now });
    progress.tick('updated');
    clock.t += 12_345;
    progress.done();
    expect(writes).toEqual([
      'Done: 1 row in 12.3 s, 0.1 rows/s: created 0, updated 1, unchanged 0, rejected 0\n',
    ]);
  });
});
