import { createHash } from 'node:crypto';
import type { MediaEvent } from '@mod/contracts';
import type { ClaimedSubmission } from '../scan-store.js';

/**
 * Times the same content's decode may time out before its submission fails. The decode budget is wall-clock time,
 * so one timeout may be a busy machine (threads sharing cores with other work, a pause of the process): the
 * content gets one more try. A second timeout of the same bytes, under any submission, is taken as the content's
 * own: every other decode failure (corrupt, truncated, past a pixel, memory, frame or scan limit) depends on the
 * bytes alone and fails the submission on its first attempt.
 */
export const MAX_DECODE_TIMEOUTS = 2;

/**
 * Times the same content may crash a worker of a healthy pool before its submission fails. A worker that ends
 * without answering (an exit, an error it did not catch, its heap past the pool's limits) tells nothing of why: the
 * machine may be at fault, so a first crash is retried; a second of the same bytes, under any submission, with the
 * pool hashing other media after each, is taken as the content's own. A crash after which the pool fails its probe
 * too (`poolStillHashes`) is the pool's, and counted against nothing.
 */
export const MAX_WORKER_CRASHES = 2;

/** What a content did to the decode, counted against it. */
export type Strike = 'timeout' | 'crash';

/**
 * Content (SHA-256 of its bytes) whose decode timed out or crashed its worker, and how often of each (at most
 * `limit` counts remembered, the oldest forgotten first). By content, not submission: hostile media sent again
 * under a new submission id, or replayed, is refused at its first timeout or crash instead of costing the decode
 * budget, or a worker, `MAX_DECODE_TIMEOUTS` or `MAX_WORKER_CRASHES` times again.
 */
export function createContentStrikes(limit = 10_000) {
  const counts = new Map<string, number>();
  const keyOf = (strike: Strike, content: string) => `${strike} ${content}`;
  return {
    /** Counts one more `strike` against `content` (see `contentKey`); answers how many of that kind so far. */
    count(strike: Strike, content: string): number {
      const key = keyOf(strike, content);
      const n = (counts.get(key) ?? 0) + 1;
      counts.delete(key);
      if (counts.size >= limit) counts.delete(counts.keys().next().value!);
      counts.set(key, n);
      return n;
    },
    /** Forgets every strike against `content` (it was hashed). */
    forget(content: string): void {
      counts.delete(keyOf('timeout', content));
      counts.delete(keyOf('crash', content));
    },
  };
}
export type ContentStrikes = ReturnType<typeof createContentStrikes>;

/**
 * What names the content for `ContentStrikes`: the SHA-256 of its bytes, computed only after a timeout or a crash (the
 * pool computes it too, but a task that timed out or crashed answers nothing). Bytes the pool took (moved, not
 * copied: see `runHashTask`) are named by the digest intake recorded, or else by their submission.
 */
export function contentKey(event: MediaEvent, claimed: ClaimedSubmission, bytes: Buffer): string {
  if (bytes.byteLength > 0) return sha256Key(createHash('sha256').update(bytes).digest('hex'));
  return claimed.sha256 === null ? `submission:${event.submissionId}` : sha256Key(claimed.sha256);
}

/** `contentKey` of content whose SHA-256 is known (hashed, or recorded at intake). */
export const sha256Key = (sha256: string) => `sha256:${sha256}`;
