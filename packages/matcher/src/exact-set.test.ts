import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MatcherErrorCode } from './errors.js';
import { expectCode } from './matcher-error.test-helper.js';
import { ExactHashSet } from './exact-set.js';
import { StreamReader, StreamWriter, bytesSource } from './snapshot-stream.js';

const digest = (alg: string, s: string): string => createHash(alg).update(s).digest('hex');

describe('ExactHashSet', () => {
  for (const [alg, digestBytes] of [
    ['md5', 16],
    ['sha1', 20],
    ['sha256', 32],
  ] as const) {
    it(`adds, finds (any case), removes and grows for ${alg}`, () => {
      const set = new ExactHashSet({ digestBytes, capacity: 4 });
      const slots = new Map<string, number>();
      for (let i = 0; i < 3000; i++) slots.set(digest(alg, `item-${i}`), set.add(digest(alg, `item-${i}`)));
      expect(set.size).toBe(3000);
      for (const [hex, slot] of slots) {
        expect(set.find(hex.toUpperCase())).toEqual([slot]);
        expect(set.get(slot)).toBe(hex);
      }
      expect(set.find(digest(alg, 'absent'))).toEqual([]);
      const victim = digest(alg, 'item-7');
      expect(set.remove(slots.get(victim) as number)).toBe(true);
      expect(set.find(victim)).toEqual([]);
      expect(set.remove(slots.get(victim) as number)).toBe(false);
    });
  }

  it('keeps duplicates as separate slots', () => {
    const set = new ExactHashSet({ digestBytes: 16 });
    const h = digest('md5', 'x');
    const a = set.add(h);
    const b = set.add(h);
    expect(set.find(h).sort()).toEqual([a, b].sort());
    set.remove(a);
    expect(set.find(h)).toEqual([b]);
  });

  it('addUnique adds a digest once and names the slot that already holds it', () => {
    const set = new ExactHashSet({ digestBytes: 32, capacity: 4 });
    const slots = Array.from({ length: 2000 }, (_, i) => set.addUnique(digest('sha256', String(i))));
    expect(slots.every((s) => s >= 0)).toBe(true);
    expect(new Set(slots).size).toBe(2000);
    for (const [i, slot] of slots.entries()) {
      expect(set.addUnique(digest('sha256', String(i)).toUpperCase())).toBe(-1 - slot);
    }
    expect(set.size).toBe(2000);
    expectCode(() => set.addUnique('0'.repeat(63)), MatcherErrorCode.BadHash);
  });

  it('round-trips a snapshot and rejects a corrupt one', () => {
    const set = new ExactHashSet({ digestBytes: 20 });
    const hashes = Array.from({ length: 50 }, (_, i) => digest('sha1', String(i)));
    hashes.forEach((h) => set.add(h));
    set.remove(10);
    const copy = ExactHashSet.deserialize(set.serialize());
    expect(copy.size).toBe(49);
    for (const [i, h] of hashes.entries()) expect(copy.find(h).length).toBe(i === 10 ? 0 : 1);
    const bad = set.serialize();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    expectCode(() => ExactHashSet.deserialize(bad), MatcherErrorCode.CorruptSnapshot);
  });

  it('rejects malformed digests with a typed error', () => {
    const set = new ExactHashSet({ digestBytes: 16 });
    expectCode(() => set.add('abc'), MatcherErrorCode.BadHash);
    expectCode(() => set.find('z'.repeat(32)), MatcherErrorCode.BadHash);
  });
});

describe('ExactHashSet streamed state', () => {
  it('round-trips with the same slots, free list and chains, and keeps serving adds and removes', async () => {
    const set = new ExactHashSet({ digestBytes: 20, capacity: 8 });
    const slots = new Map<string, number>();
    for (let i = 0; i < 2000; i++) slots.set(digest('sha1', `x-${i}`), set.add(digest('sha1', `x-${i}`)));
    for (let i = 0; i < 2000; i += 3) {
      const hex = digest('sha1', `x-${i}`);
      set.remove(slots.get(hex) as number);
      slots.delete(hex);
    }
    const parts: Uint8Array[] = [];
    const w = new StreamWriter((p) => void parts.push(p.slice()));
    await set.writeTo(w);
    await w.end();
    const bytes = Buffer.concat(parts);
    const r = new StreamReader(bytesSource(bytes), 'test');
    const copy = await ExactHashSet.readFrom(r);
    await r.end();
    expect(copy.size).toBe(slots.size);
    expect(copy.slotLimit).toBe(set.slotLimit);
    for (const [hex, slot] of slots) expect(copy.find(hex)).toEqual([slot]);
    expect(copy.find(digest('sha1', 'x-0'))).toEqual([]);
    // Freed slots are reused in the same order as by the original.
    const again = digest('sha1', 'again');
    expect(copy.add(again)).toBe(set.add(again));
    const bad = new Uint8Array(bytes);
    bad[bad.length - 20] = (bad[bad.length - 20] ?? 0) ^ 1;
    const rb = new StreamReader(bytesSource(bad), 'test');
    await ExactHashSet.readFrom(rb).catch(() => undefined);
    await expect(rb.end()).rejects.toMatchObject({ code: MatcherErrorCode.CorruptSnapshot });
  });
});
