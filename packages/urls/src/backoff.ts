/**
 * Jittered exponential backoff, for whoever tries a request again: the fetcher's image fetches (within a page's
 * deadline) and the actioner's webhook deliveries (over hours). Pure: the caller owns the clock and the waiting.
 */
export interface BackoffOptions {
  /** Delay before the second attempt, ms. Default 1000. */
  baseMs?: number;
  /** Largest delay, ms. Default 1 h. */
  maxMs?: number;
  /** Uniform [0, 1) source for jitter. Default Math.random. */
  random?: () => number;
}

/**
 * Delay after failed attempt number `attempt` (1-based): exponential (base × 2^(attempt-1)), capped, with
 * "full jitter" in [cap/2, cap) so many failing clients do not retry in lockstep.
 */
export function backoffMs(attempt: number, o: BackoffOptions = {}): number {
  const cap = Math.min(o.maxMs ?? 3_600_000, (o.baseMs ?? 1000) * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (o.random ?? Math.random)() * (cap / 2));
}
