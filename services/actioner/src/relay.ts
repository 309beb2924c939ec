import { relayOutbox, type Pool } from '@mod/db';
import type { Producer } from '@mod/kafka';
import type { Logger } from '@mod/telemetry';

export interface OutboxRelay {
  start(): void;
  /** Stops polling and finishes the batch in flight. */
  stop(): Promise<void>;
  /** Publishes everything pending now (used at shutdown and by tests). */
  drain(): Promise<number>;
}

/** Publishes committed outbox messages to Kafka, in order, at least once (consumers are idempotent by id). */
export function createOutboxRelay(
  db: Pool,
  producer: Producer,
  logger: Logger,
  intervalMs: number,
  faults: { beforePublish?: () => void } = {},
): OutboxRelay {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const once = () =>
    relayOutbox(db, async (messages) => {
      // Test seam: a crash after the order committed and before its message left.
      faults.beforePublish?.();
      await producer.sendBatch({
        topicMessages: messages.map((m) => ({
          topic: m.topic,
          messages: [
            { key: m.key, value: JSON.stringify(m.payload), headers: { 'outbox-id': String(m.id) } },
          ],
        })),
      });
    });

  const drain = async () => {
    let total = 0;
    for (;;) {
      const n = await once();
      total += n;
      if (n === 0) return total;
    }
  };

  const tick = () => {
    running = drain()
      .catch((err: unknown) => logger.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
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
  };
}
