import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DuplicateCandidates } from './bank-import-duplicates.js';

const md5 = (i: number): string => createHash('md5').update(String(i)).digest('hex');
const sha256 = (i: number): string => createHash('sha256').update(String(i)).digest('hex');

describe('DuplicateCandidates', () => {
  it('calls every repeated pair a candidate, and new pairs almost never at a tenth of its capacity', () => {
    // 1 MiB: 16,384 blocks; 100,000 pairs is what 60M pairs are to the default 128 MiB, a sixth.
    const filter = new DuplicateCandidates(2 ** 20);
    let candidates = 0;
    for (let i = 0; i < 100_000; i++) if (filter.testAndAdd('pdq', sha256(i))) candidates++;
    // About 1 in 2,000 at this load (see the class): some tens, never thousands.
    expect(candidates).toBeLessThan(200);
    for (let i = 0; i < 100_000; i += 7) expect(filter.testAndAdd('pdq', sha256(i))).toBe(true);
  });

  it('tells signals apart: the same hex under another signal is another pair', () => {
    const filter = new DuplicateCandidates(2 ** 20);
    const value = sha256(1);
    expect(filter.testAndAdd('pdq', value)).toBe(false);
    expect(filter.testAndAdd('sha256', value)).toBe(false);
    expect(filter.testAndAdd('blockhash', value)).toBe(false);
    expect(filter.testAndAdd('sha256', value)).toBe(true);
  });

  it('stays correct when overfull (everything becomes a candidate), and refuses sizes it cannot index', () => {
    const filter = new DuplicateCandidates(64);
    const answers = Array.from({ length: 2000 }, (_, i) => filter.testAndAdd('md5', md5(i)));
    expect(answers.slice(-100).every(Boolean)).toBe(true);
    // No filter: every pair is a candidate.
    const none = new DuplicateCandidates(0);
    expect([md5(1), md5(2)].map((v) => none.testAndAdd('md5', v))).toEqual([true, true]);
    for (const bytes of [-64, 32, 100, 2 ** 32, 1.5])
      expect(() => new DuplicateCandidates(bytes)).toThrow(RangeError);
  });
});
