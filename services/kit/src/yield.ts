/**
 * Lets the event loop run pending I/O callbacks before going on. Long computations (an import
 * planning a thousand rows) call it every so often, so that the database writes they overlap with
 * are not held up waiting for the loop.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
