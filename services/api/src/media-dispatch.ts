import type { PendingMedia } from '@mod/db/submissions';
import { withoutTrace, type Logger } from '@mod/telemetry';

/**
 * Publishes intake media as soon as their transaction committed, from the bytes the API still holds, and then
 * deletes their outbox rows: PostgreSQL is written once and never read back on the normal path. What fails here
 * (the broker away, a crash) stays in the outbox, where the relay publishes it once it is older than its grace
 * period. A message published by both is a duplicate the scanner drops (its event id is the same).
 */
export interface MediaDispatcher {
  /** Queues a committed media message for publishing now (over the byte budget: leaves it to the relay). */
  dispatch(message: PendingMedia): void;
  /** Resolves when everything queued so far was published or left to the relay. */
  drain(): Promise<void>;
}

/** Media bytes held for publishing at most (as the relay's passes): beyond, messages are left to the relay. */
export const DEFAULT_MAX_HELD_MEDIA_BYTES = 64 * 1024 * 1024;

export function createMediaDispatcher(o: {
  /** Publishes messages in order (`@mod/kafka` `publishMedia`). */
  publish: (messages: PendingMedia[]) => Promise<void>;
  /** Deletes the outbox rows of published messages (`@mod/db` `deletePublishedMedia`). */
  remove: (ids: number[]) => Promise<void>;
  logger: Logger;
  /**
   * Bytes of queued and publishing messages held at most (default {@link DEFAULT_MAX_HELD_MEDIA_BYTES}); one
   * message is always taken. While the broker is slow, uploads would otherwise pile up here, up to every pending
   * upload's bytes (`MEDIA_OUTBOX_MAX_PENDING` × `MAX_UPLOAD_BYTES`: gigabytes).
   */
  maxHeldBytes?: number;
}): MediaDispatcher {
  const log = o.logger.child({ component: 'media-dispatch' });
  const maxHeld = o.maxHeldBytes ?? DEFAULT_MAX_HELD_MEDIA_BYTES;
  const sizeOf = (m: PendingMedia) => m.media.length + m.meta.length;
  let held = 0;
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
      } finally {
        for (const m of batch) held -= sizeOf(m);
      }
      await o.remove(batch.map((m) => m.id)).catch((err: unknown) => {
        // Published but still in the outbox: the relay publishes it again later, a duplicate the scanner drops.
        log.warn({ err }, 'published media not deleted from the outbox');
      });
    }
  };

  return {
    dispatch(message) {
      // Over the budget: not held; its row stays in the outbox, and the relay publishes it after its grace period.
      if (held > 0 && held + sizeOf(message) > maxHeld) return;
      held += sizeOf(message);
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
