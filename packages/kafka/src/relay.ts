import type { Logger } from '@mod/telemetry';

/** Publishes committed outbox messages in the background; `kick` after a commit publishes without waiting. */
export interface RelayLoop {
  start(): void;
  /** Stops polling and finishes the pass in flight. */
  stop(): Promise<void>;
  /** Publishes everything pending now (used at shutdown and by tests). */
  drain(): Promise<number>;
  /** Starts a pass now (or right after the one in flight), e.g. after a commit that enqueued messages. */
  kick(): void;
}

/**
 * Runs `once` (one claim-and-publish pass over an outbox, returning how many it sent) until nothing is left,
 * every `intervalMs` and whenever kicked. A failed pass is logged and retried at the next tick: the messages
 * stay in the outbox, so nothing is lost while the broker is away.
 */
export function createRelayLoop(options: {
  name: string;
  once: () => Promise<number>;
  intervalMs: number;
  logger: Logger;
}): RelayLoop {
  const log = options.logger.child({ component: 'relay', relay: options.name });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let again = false;
  let stopped = true;

  const drain = async () => {
    let total = 0;
    for (;;) {
      const n = await options.once();
      total += n;
      if (n === 0) return total;
    }
  };

  const tick = () => {
    clearTimeout(timer);
    if (running !== undefined) {
      again = true;
      return;
    }
    running = drain()
      .catch((err: unknown) => log.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          tick();
        } else {
          timer = setTimeout(tick, options.intervalMs);
        }
      });
  };

  return {
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    drain,
    kick() {
      if (!stopped) tick();
    },
  };
}
