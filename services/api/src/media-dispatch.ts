import type { PendingMedia } from '@mod/db/submissions';
import { withoutTrace, type Logger } from '@mod/telemetry';

/**
 * Publishes intake media as soon as their transaction committed, from the bytes the API still holds, and then
 * deletes their outbox rows: PostgreSQL is written once and never read back on the normal path. What fails here
 * (the broker away, a crash) stays in the outbox, where the relay publishes it once it is older than its grace
 * period. A message published by both is a duplicate the scanner drops (its event id is the same).
 */
export interface MediaDispatcher {
  /** Queues a committed media message for publishing now. */
  dispatch(message: PendingMedia): void;
  /** Resolves when everything queued so far was published or left to the relay. */
  drain(): Promise<void>;
}

export function createMediaDispatcher(o: {
  /** Publishes messages in order (`@mod/kafka` `publishMedia`). */
  publish: (messages: PendingMedia[]) => Promise<void>;
  /** Deletes the outbox rows of published messages (`@mod/db` `deletePublishedMedia`). */
  remove: (ids: number[]) => Promise<void>;
  logger: Logger;
}): MediaDispatcher {
  const log = o.logger.child({ component: 'media-dispatch' });
  let queue: PendingMedia[] = [];
  let running: Promise<void> | undefined;

  const run = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await o.publish(batch);
      } catch (err) {
        log.warn({ err, messages: batch.length }, 'media not published now; the outbox relay will');
        continue;
      }
      await o.remove(batch.map((m) => m.id)).catch((err: unknown) => {
        // Published but still in the outbox: the relay publishes it again later, a duplicate the scanner drops.
        log.warn({ err }, 'published media not deleted from the outbox');
      });
    }
  };

  return {
    dispatch(message) {
      queue.push(message);
      // Outside the request's trace: each message carries the trace of its own upload.
      running ??= withoutTrace(run).finally(() => {
        running = undefined;
      });
    },
    async drain() {
      while (running !== undefined) await running;
    },
  };
}
