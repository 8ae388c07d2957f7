import type { EventHandler } from './consumer';

/** Handlers by exact event type, as ServiceDefinition.handlers returns them. */
export type HandlerMap = Record<string, EventHandler>;

/** One handler for each of the given event types (e.g. a projection of every event of the catalogue). */
export function handleEach(types: readonly string[], handler: EventHandler): HandlerMap {
  return Object.fromEntries(types.map((type) => [type, handler]));
}

/**
 * Merges handler maps. A type present in several maps gets a handler that runs each of them in
 * order; if one throws, the consumer retries the whole, so every handler must be idempotent
 * (they all are by the consumer's contract).
 */
export function combineHandlers(...maps: HandlerMap[]): HandlerMap {
  const byType = new Map<string, EventHandler[]>();
  for (const map of maps) {
    for (const [type, handler] of Object.entries(map))
      byType.set(type, [...(byType.get(type) ?? []), handler]);
  }
  return Object.fromEntries(
    [...byType].map(([type, handlers]): [string, EventHandler] => [
      type,
      handlers.length === 1
        ? (handlers[0] as EventHandler)
        : async (event, context) => {
            for (const handler of handlers) await handler(event, context);
          },
    ]),
  );
}

/**
 * The same handlers, run one at a time in this process, whatever their keys and partitions: for
 * handlers whose events depend on each other across keys (an HR record naming a manager that
 * another record creates). The consumer otherwise handles different keys at once.
 */
export function oneAtATime(map: HandlerMap): HandlerMap {
  let last: Promise<unknown> = Promise.resolve();
  return Object.fromEntries(
    Object.entries(map).map(([type, handler]): [string, EventHandler] => [
      type,
      (event, context) => {
        const run = last.then(() => handler(event, context));
        last = run.catch(() => undefined);
        return run;
      },
    ]),
  );
}
