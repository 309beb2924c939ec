/** Token-bucket rate limiting, per key (an API key id, a client address). Pure: time is passed in. */

export interface RateLimitOptions {
  /** Tokens added per second (the sustained request rate). */
  ratePerSecond: number;
  /** Bucket size: requests allowed in a burst after a quiet spell. */
  burst: number;
  /** Buckets kept; the least recently used is forgotten beyond this (memory bound). Default 100000. */
  maxTracked?: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: milliseconds until one token is available. 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Takes one token from `key`'s bucket at `nowMs` (monotonic or wall clock, but one kind throughout). */
  take(key: string, nowMs: number): RateDecision;
  /** Whether `key` has a token at `nowMs`, without taking it. */
  peek(key: string, nowMs: number): boolean;
  /** Buckets currently tracked. */
  size(): number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { ratePerSecond, burst } = options;
  if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('ratePerSecond must be > 0 and burst >= 1');
  const maxTracked = options.maxTracked ?? 100_000;
  // Map iteration order is insertion order: re-inserting on every use keeps the least recently used first.
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  const tokensAt = (b: { tokens: number; atMs: number }, nowMs: number) =>
    Math.min(burst, b.tokens + (Math.max(0, nowMs - b.atMs) * ratePerSecond) / 1000);
  return {
    peek(key, nowMs) {
      const b = buckets.get(key);
      return b === undefined || tokensAt(b, nowMs) >= 1;
    },
    take(key, nowMs) {
      const b = buckets.get(key) ?? { tokens: burst, atMs: nowMs };
      buckets.delete(key);
      const tokens = tokensAt(b, nowMs);
      const allowed = tokens >= 1;
      const left = allowed ? tokens - 1 : tokens;
      buckets.set(key, { tokens: left, atMs: nowMs });
      if (buckets.size > maxTracked) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
      return {
        allowed,
        remaining: Math.floor(left),
        retryAfterMs: allowed ? 0 : Math.ceil(((1 - left) * 1000) / ratePerSecond),
      };
    },
    size: () => buckets.size,
  };
}
