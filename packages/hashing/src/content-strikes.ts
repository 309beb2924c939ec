/**
 * Times the same content may crash a worker of a healthy pool before its submission fails. A worker that ends
 * without answering (an exit, an error it did not catch, its heap past the pool's limits) tells nothing of why: the
 * machine may be at fault, so a first crash is retried; a second of the same bytes, under any submission, with the
 * pool hashing other media after each, is taken as the content's own. A crash after which the pool fails its probe
 * too (`probeImage`) is the pool's, and counted against nothing. The scanner's hash pool and the classifier's model
 * pool count their crashes so.
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
    /** Counts one more `strike` against `content` (e.g. `sha256Key`); answers how many of that kind so far. */
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

/** The key of content whose SHA-256 is known (hashed, or recorded at intake), for `ContentStrikes`. */
export const sha256Key = (sha256: string) => `sha256:${sha256}`;
