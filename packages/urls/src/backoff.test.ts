import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles per attempt within [cap/2, cap), capped at maxMs', () => {
    const at = (attempt: number, r: number) =>
      backoffMs(attempt, { baseMs: 1000, maxMs: 60_000, random: () => r });
    expect([1, 2, 3, 4].map((a) => at(a, 0))).toEqual([500, 1000, 2000, 4000]);
    expect(at(3, 0.999)).toBeLessThan(4000);
    expect(at(3, 0.999)).toBeGreaterThan(3990);
    expect(at(20, 0)).toBe(30_000);
    expect(at(20, 0.5)).toBe(45_000);
  });
});
