import type { Logger } from './logger';

type Step = { name: string; run: () => Promise<unknown> };

/**
 * Runs the given steps in order on SIGTERM or SIGINT (stop intake first, then flush, then close
 * connections), then exits. A second signal or the timeout forces the exit.
 */
export function registerShutdown(logger: Logger, steps: Step[], timeoutMs = 15_000): () => Promise<void> {
  let running: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    running ??= (async () => {
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return shutdown;
}

/**
 * Runs `work` every `intervalMs` (the first run at once), never two runs at a time; errors are
 * logged and the loop goes on. `stop()` waits for the run in progress.
 */
export function every(
  intervalMs: number,
  work: () => Promise<unknown>,
  logger: Logger,
): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();
  const run = () => {
    current = (async () => {
      try {
        await work();
      } catch (err) {
        logger.error({ err }, 'periodic work failed; will run again');
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    })();
  };
  run();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
