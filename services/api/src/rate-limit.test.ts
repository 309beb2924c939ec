import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('createRateLimiter (token bucket)', () => {
  it('allows a burst, refuses the next request, and refills at the configured rate', () => {
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 3 });
    const at0 = [1, 2, 3, 4].map(() => limiter.take('k', 0));
    expect(at0.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(at0.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(at0[3]?.retryAfterMs).toBe(500);
    expect(limiter.peek('k', 499)).toBe(false);
    expect(limiter.peek('k', 500)).toBe(true);
    expect(limiter.take('k', 500).allowed).toBe(true);
    expect(limiter.take('k', 500).allowed).toBe(false);
    // A long quiet spell refills to the burst, never beyond it.
    const later = [1, 2, 3, 4].map(() => limiter.take('k', 3_600_000).allowed);
    expect(later).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per key', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(false);
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.peek('never-seen', 0)).toBe(true);
  });

  it('forgets the least recently used buckets beyond maxTracked', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxTracked: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0); // a is now the most recently used
    limiter.take('c', 0);
    expect(limiter.size()).toBe(2);
    expect(limiter.peek('b', 0)).toBe(true); // forgotten: a fresh bucket
    expect(limiter.peek('a', 0)).toBe(false);
  });

  it('rejects nonsense options', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
