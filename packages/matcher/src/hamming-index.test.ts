import { describe, expect, it } from 'vitest';
import { hammingDistanceHex } from './bits.js';
import { MatcherErrorCode } from './errors.js';
import { expectCode } from './matcher-error.test-helper.js';
import { HammingIndex } from './hamming-index.js';
import { SearchHits } from './search-hits.js';
import { StreamReader, StreamWriter, bytesSource } from './snapshot-stream.js';

/** Seeded xorshift32 so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomHex(r: () => number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += r().toString(16).padStart(8, '0');
  return s;
}

/** Flips `d` distinct random bits of a hex hash. */
function flipBits(hex: string, d: number, r: () => number): string {
  const nibbles = hex.split('').map((c) => parseInt(c, 16));
  const done = new Set<number>();
  while (done.size < d) {
    const b = r() & 255;
    if (done.has(b)) continue;
    done.add(b);
    nibbles[b >> 2] = (nibbles[b >> 2] ?? 0) ^ (1 << (b & 3));
  }
  return nibbles.map((n) => n.toString(16)).join('');
}

/** Reference: every (slot, distance) within radius, by an independent scan over the hex strings. */
function bruteForce(entries: Map<number, string>, query: string, radius: number): string[] {
  const out: string[] = [];
  for (const [slot, hex] of entries) {
    const d = hammingDistanceHex(query, hex);
    if (d <= radius) out.push(`${slot}:${d}`);
  }
  return out.sort();
}

function indexResult(index: HammingIndex, query: string, radius: number): string[] {
  return index
    .search(query, radius)
    .map((h) => `${h.slot}:${h.distance}`)
    .sort();
}

/** A bank with a planted neighbour at every distance 0..40 of each query. */
function plantedBank(chunks: number | undefined, seed: number, size = 6000) {
  const r = rng(seed);
  const index = new HammingIndex({ capacity: size, chunks });
  const entries = new Map<number, string>();
  const queries = Array.from({ length: 6 }, () => randomHex(r));
  for (const q of queries) {
    for (let d = 0; d <= 40; d++) {
      const hex = flipBits(q, d, r);
      entries.set(index.add(hex), hex);
    }
  }
  while (entries.size < size) {
    const hex = randomHex(r);
    entries.set(index.add(hex), hex);
  }
  return { index, entries, queries, r };
}

describe('HammingIndex exactness', () => {
  for (const chunks of [undefined, 9, 10, 16, 20, 32]) {
    it(`returns exactly the brute-force set at radii 0..40 and 64 (chunks=${chunks ?? 'default'})`, () => {
      const { index, entries, queries } = plantedBank(chunks, 7 + (chunks ?? 0));
      for (const q of queries) {
        for (const radius of [0, 1, 2, 5, 8, 10, 11, 15, 16, 20, 24, 30, 31, 32, 40, 64]) {
          expect(indexResult(index, q, radius)).toEqual(bruteForce(entries, q, radius));
        }
      }
    });
  }

  it('finds a planted neighbour at every distance 0..32 exactly up to the radius boundary', () => {
    const { index, entries, queries } = plantedBank(undefined, 99);
    const q = queries[0] as string;
    const found = new Map(index.search(q, 31).map((h) => [h.slot, h.distance]));
    for (const [slot, hex] of entries) {
      const d = hammingDistanceHex(q, hex);
      if (d <= 31) expect(found.get(slot)).toBe(d);
      else expect(found.has(slot)).toBe(false);
    }
    const distances = new Set(found.values());
    for (let d = 0; d <= 31; d++) expect(distances.has(d)).toBe(true);
    expect(distances.has(32)).toBe(false);
  });

  it('agrees with brute force on random queries (no planted neighbour) and with its own scan', () => {
    const { index, entries, r } = plantedBank(undefined, 3);
    const hits = new SearchHits(1);
    const q = new Uint32Array(8);
    for (let i = 0; i < 20; i++) {
      const hex = randomHex(r);
      expect(indexResult(index, hex, 31)).toEqual(bruteForce(entries, hex, 31));
      for (let w = 0; w < 8; w++) q[w] = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
      index.scan(q, 0, 100, hits);
      expect(hits.count).toBe(bruteForce(entries, hex, 100).length);
    }
  });

  it('returns every duplicate of a repeated hash', () => {
    const index = new HammingIndex();
    const hex = 'ab'.repeat(32);
    const a = index.add(hex);
    const b = index.add(hex.toUpperCase());
    expect(index.search(hex, 0)).toEqual([
      { slot: a, distance: 0 },
      { slot: b, distance: 0 },
    ]);
  });
});

describe('HammingIndex add and remove while serving', () => {
  it('stays exact through interleaved removes, re-adds and growth past its capacity', () => {
    const r = rng(11);
    const index = new HammingIndex({ capacity: 16 });
    const entries = new Map<number, string>();
    const base = randomHex(r);
    for (let i = 0; i < 5000; i++) {
      const hex = i % 10 === 0 ? flipBits(base, i % 35, r) : randomHex(r);
      entries.set(index.add(hex), hex);
    }
    expect(indexResult(index, base, 31)).toEqual(bruteForce(entries, base, 31));
    // Remove every third entry, including near neighbours.
    for (const slot of [...entries.keys()].filter((s) => s % 3 === 0)) {
      expect(index.remove(slot)).toBe(true);
      entries.delete(slot);
    }
    expect(index.size).toBe(entries.size);
    expect(indexResult(index, base, 31)).toEqual(bruteForce(entries, base, 31));
    // Re-add: freed slots are reused and the new hashes are found immediately.
    for (let d = 0; d < 32; d++) {
      const hex = flipBits(base, d, r);
      const slot = index.add(hex);
      expect(slot % 3).toBe(0);
      entries.set(slot, hex);
      expect(indexResult(index, base, 31)).toEqual(bruteForce(entries, base, 31));
    }
    expect(index.remove(-1)).toBe(false);
    const gone = [...entries.keys()][0] as number;
    index.remove(gone);
    expect(index.remove(gone)).toBe(false);
    expect(index.has(gone)).toBe(false);
  });
});

describe('HammingIndex snapshot', () => {
  it('round-trips, renumbering live slots densely in ascending order', () => {
    const { index, entries, queries } = plantedBank(undefined, 5, 3000);
    for (const slot of [...entries.keys()].filter((s) => s % 4 === 1)) {
      index.remove(slot);
      entries.delete(slot);
    }
    const order = index.liveSlots();
    const copy = HammingIndex.deserialize(index.serialize());
    expect(copy.size).toBe(index.size);
    const renumbered = new Map<number, string>();
    order.forEach((oldSlot, newSlot) => renumbered.set(newSlot, entries.get(oldSlot) as string));
    for (const [slot, hex] of renumbered) expect(copy.get(slot)).toBe(hex);
    for (const q of queries) expect(indexResult(copy, q, 31)).toEqual(bruteForce(renumbered, q, 31));
  });

  it('rejects corrupt, truncated, foreign and future-version snapshots with typed errors', () => {
    const index = new HammingIndex();
    index.add('0f'.repeat(32));
    const good = index.serialize();
    const flipped = good.slice();
    flipped[30] = (flipped[30] ?? 0) ^ 1;
    const future = good.slice();
    future[8] = 99;
    const foreign = good.slice();
    foreign[0] = 0x58;
    for (const [bytes, code] of [
      [flipped, MatcherErrorCode.CorruptSnapshot],
      [good.subarray(0, good.length - 1), MatcherErrorCode.CorruptSnapshot],
      [good.subarray(0, 10), MatcherErrorCode.CorruptSnapshot],
      [new Uint8Array(0), MatcherErrorCode.CorruptSnapshot],
      [foreign, MatcherErrorCode.CorruptSnapshot],
      [future, MatcherErrorCode.SnapshotVersion],
    ] as const) {
      expectCode(() => HammingIndex.deserialize(bytes), code);
    }
  });
});

describe('HammingIndex substring lengths', () => {
  it('is exact with uneven lengths and keeps them through the streamed state', async () => {
    const chunkBits = [20, 30, 8, 30, 28, 28, 28, 28, 28, 28];
    const r = rng(21);
    const index = new HammingIndex({ chunkBits, capacity: 4000 });
    const entries = new Map<number, string>();
    const queries = Array.from({ length: 4 }, () => randomHex(r));
    for (const q of queries) for (let d = 0; d <= 36; d++) entries.set(index.add(flipBits(q, d, r)), '');
    for (const [slot] of entries) entries.set(slot, index.get(slot));
    while (entries.size < 4000) {
      const hex = randomHex(r);
      entries.set(index.add(hex), hex);
    }
    expect(index.chunks).toBe(10);
    for (const q of queries) {
      for (const radius of [0, 9, 10, 20, 31, 40]) {
        expect(indexResult(index, q, radius)).toEqual(bruteForce(entries, q, radius));
      }
    }
    const parts: Uint8Array[] = [];
    const w = new StreamWriter((p) => void parts.push(p.slice()));
    await index.writeTo(w);
    await w.end();
    const reader = new StreamReader(bytesSource(Buffer.concat(parts)), 'test');
    const copy = await HammingIndex.readFrom(reader);
    await reader.end();
    for (const q of queries) expect(indexResult(copy, q, 31)).toEqual(bruteForce(entries, q, 31));
    // The byte snapshot keeps m; the lengths come from the caller (the default layout when none is given).
    const bytes = index.serialize();
    const again = HammingIndex.deserialize(bytes, { chunkBits });
    const dense = new Map<number, string>();
    index.liveSlots().forEach((slot, j) => dense.set(j, entries.get(slot) as string));
    for (const q of queries) expect(indexResult(again, q, 31)).toEqual(bruteForce(dense, q, 31));
    expect(indexResult(HammingIndex.deserialize(bytes), queries[0] as string, 31)).toEqual(
      bruteForce(dense, queries[0] as string, 31),
    );
  });

  it('rejects lengths that do not cover 256 bits, are out of range or disagree with chunks', () => {
    for (const options of [
      { chunkBits: [26, 26, 26, 26, 26, 26, 25, 25, 25, 24] },
      { chunkBits: [31, 25, 25, 25, 25, 25, 25, 25, 25, 25] },
      { chunkBits: [3, 28, 28, 28, 28, 28, 28, 28, 28, 29] },
      { chunks: 11, chunkBits: [27, 27, 26, 26, 25, 25, 25, 25, 25, 25] },
      { chunkBits: [128, 128] },
    ]) {
      expectCode(() => new HammingIndex(options), MatcherErrorCode.BadArgument);
    }
  });
});

describe('HammingIndex bad input', () => {
  it('raises typed errors for bad hex, radius and options', () => {
    const index = new HammingIndex();
    expect(() => index.add('xyz'), MatcherErrorCode.BadHash);
    expectCode(() => index.add('g'.repeat(64)), MatcherErrorCode.BadHash);
    expectCode(() => index.search('0'.repeat(64), -1), MatcherErrorCode.BadArgument);
    expectCode(() => index.search('0'.repeat(64), 1.5), MatcherErrorCode.BadArgument);
    expectCode(() => new HammingIndex({ chunks: 4 }), MatcherErrorCode.BadArgument);
    expectCode(() => index.get(0), MatcherErrorCode.UnknownSlot);
    expect(index.search('0'.repeat(64), 256)).toEqual([]);
  });
});

describe('HammingIndex streamed state', () => {
  it('round-trips tables and free slots: same slots, same results, and keeps serving adds and removes', async () => {
    const { index, entries, queries } = plantedBank(undefined, 9, 3000);
    for (const slot of [...entries.keys()].filter((s) => s % 5 === 2)) {
      index.remove(slot);
      entries.delete(slot);
    }
    const parts: Uint8Array[] = [];
    const w = new StreamWriter((p) => void parts.push(p.slice()));
    await index.writeTo(w);
    await w.end();
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const source = bytesSource(bytes);
    const r = new StreamReader(source, 'test');
    const copy = await HammingIndex.readFrom(r);
    await r.end();
    expect(copy.size).toBe(index.size);
    for (const [slot, hex] of entries) expect(copy.get(slot)).toBe(hex);
    for (const q of queries) expect(indexResult(copy, q, 31)).toEqual(bruteForce(entries, q, 31));
    const slot = copy.add(queries[0] as string);
    entries.set(slot, queries[0] as string);
    expect(entries.size).toBe(copy.size);
    expect(indexResult(copy, queries[0] as string, 31)).toEqual(
      bruteForce(entries, queries[0] as string, 31),
    );
    bytes[bytes.length - 9] = (bytes[bytes.length - 9] ?? 0) ^ 1;
    const bad = new StreamReader(bytesSource(bytes), 'test');
    await HammingIndex.readFrom(bad);
    await expect(bad.end()).rejects.toMatchObject({ code: MatcherErrorCode.CorruptSnapshot });
  });
});
