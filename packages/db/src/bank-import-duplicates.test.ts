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

  it('answers a batch as it answers its pairs one by one, repeats within the batch included', () => {
    const one = new DuplicateCandidates(2 ** 16);
    const all = new DuplicateCandidates(2 ** 16);
    // 3,000 pairs into a 64 KiB filter, some repeated: the answers are not all 0.
    const values = Array.from({ length: 3000 }, (_, i) => md5(i % 2500));
    const signals = values.map((_, i) => (i % 3 === 0 ? 'md5' : 'sha1'));
    const expected = values.map((v, i) => (one.testAndAdd(signals[i] as string, v) ? 1 : 0));
    const got = new Uint8Array(3000);
    let count = 0;
    for (let at = 0; at < 3000; at += 700) {
      const part = new Uint8Array(Math.min(700, 3000 - at));
      count += all.testAndAddAll(signals.slice(at, at + 700), values.slice(at, at + 700), part);
      got.set(part, at);
    }
    expect([...got]).toEqual(expected);
    expect(count).toBe(expected.filter((c) => c === 1).length);
    expect(count).toBeGreaterThan(100);
    const none = new Uint8Array(2);
    expect(new DuplicateCandidates(0).testAndAddAll(['md5', 'md5'], [md5(1), md5(2)], none)).toBe(2);
    expect([...none]).toEqual([1, 1]);
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
