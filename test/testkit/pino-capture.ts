/**
 * A pino that writes every line to memory instead of stdout, for tests that read what the services
 * logged. Use it from a test file's own mock (jest hoists the call above the imports):
 *
 *   jest.mock('pino', () => jest.requireActual('<path>/test/testkit/pino-capture').capturingPino());
 *
 * and read the lines with `capturedLines()`.
 */
import type { Writable as WritableType } from 'node:stream';

export function capturingPino(): Record<string, unknown> {
  const actual = jest.requireActual<typeof import('pino')>('pino');
  const { Writable } = jest.requireActual<typeof import('node:stream')>('node:stream');
  const lines: string[] = [];
  const capture: WritableType = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const pino = Object.assign((options: object) => actual.default(options, capture), actual);
  return { __esModule: true, ...actual, default: pino, logLines: lines };
}

/** Every line the mocked pino has written so far, in order. */
export function capturedLines(): string[] {
  return (jest.requireMock('pino') as { logLines: string[] }).logLines;
}
