import { parseHexWordsInto, wordsToHex } from './bits.js';
import { MatcherError, MatcherErrorCode } from './errors.js';
import { WORDS, chunkLayout, headBitsFor } from './hamming-layout.js';
import type { HammingIndexOptions } from './hamming-layout.js';
import { SlotAllocator, SlotOwner, grownCopy } from './slot-allocator.js';

const EMPTY = -1;

/**
 * The storage of {@link HammingIndex}: slot records and one chained table per substring, kept linked as entries
 * are added and removed. The search over them is `HammingIndex` (hamming-index.ts).
 *
 * Layout (memory access is the cost): one `Int32Array` of slot records, each the 8 hash words followed by the
 * slot's chain link in every table; each table is a head array indexed directly by the substring (or by its
 * multiplicative hash while the index is small). No JS objects per entry: 60M entries with m = 10 take 6.3 GiB.
 * Add and remove are O(m) and take effect immediately; removed slots are reused.
 */
export abstract class HammingTables extends SlotOwner {
  protected readonly m: number;
  protected readonly chunkStart: Int32Array;
  protected readonly chunkLen: Int32Array;
  protected readonly headBits: Int32Array;
  /** Words per slot record: the 8 hash words, then one `next` link per table. */
  protected readonly stride: number;
  protected heads: Int32Array[];
  /**
   * Slot records, `stride` words each: hash words 0..7, then table i's chain link at 8 + i. A candidate's link and
   * hash sit on the same page (one TLB miss, not two: on a virtual machine a page walk costs more than the cache
   * miss itself, and at 60M entries nearly every candidate is both).
   */
  protected rec: Int32Array;
  protected slots: SlotAllocator;
  protected readonly qWords = new Uint32Array(WORDS);

  constructor(options: HammingIndexOptions = {}) {
    super();
    const { capacity, lengths } = chunkLayout(options);
    const m = lengths.length;
    this.m = m;
    this.chunkStart = new Int32Array(m);
    this.chunkLen = new Int32Array(m);
    this.headBits = new Int32Array(m);
    let start = 0;
    for (let i = 0; i < m; i++) {
      const len = lengths[i] ?? 0;
      this.chunkStart[i] = start;
      this.chunkLen[i] = len;
      start += len;
    }
    this.stride = WORDS + m;
    const slots = Math.max(16, capacity);
    this.rec = new Int32Array(slots * this.stride);
    this.slots = new SlotAllocator(slots);
    this.heads = [];
    const wanted = headBitsFor(capacity);
    for (let i = 0; i < m; i++) {
      const k = Math.min(this.chunkLen[i] ?? 0, wanted);
      this.headBits[i] = k;
      this.heads.push(new Int32Array(2 ** k).fill(EMPTY));
    }
  }

  /** Number of substring tables (m). */
  get chunks(): number {
    return this.m;
  }

  /** Lowercase hex of the hash stored in `slot`. */
  get(slot: number): string {
    this.slots.requireLive(slot);
    const base = slot * this.stride;
    return wordsToHex(new Uint32Array(this.rec.buffer, this.rec.byteOffset + base * 4, WORDS), WORDS, 0);
  }

  /** Adds a 64-hex-digit hash; returns its slot. Duplicates are separate entries. */
  add(hex: string): number {
    this.parseQuery(hex);
    return this.addWords(this.qWords, 0);
  }

  /** Adds the 8 words at `words[offset..offset+8)`; returns the slot. The hot path for bulk loads. */
  addWords(words: Uint32Array, offset = 0): number {
    const slot = this.takeSlot('hamming index is full (2^31-1 entries)');
    const rec = this.rec;
    const base = slot * this.stride;
    for (let w = 0; w < WORDS; w++) rec[base + w] = words[offset + w] ?? 0;
    for (let i = 0; i < this.m; i++) {
      const heads = this.heads[i] as Int32Array;
      const b = this.bucketOf(i, this.chunkOf(rec, base, i));
      rec[base + WORDS + i] = heads[b] ?? EMPTY;
      heads[b] = slot;
    }
    this.maybeGrowHeads();
    return slot;
  }

  /** Removes the entry in `slot` (its slot may be reused by a later add). Returns false if it was not live. */
  remove(slot: number): boolean {
    if (!this.slots.has(slot)) return false;
    const rec = this.rec;
    const stride = this.stride;
    const base = slot * stride;
    for (let i = 0; i < this.m; i++) {
      const heads = this.heads[i] as Int32Array;
      const b = this.bucketOf(i, this.chunkOf(rec, base, i));
      const link = WORDS + i;
      let cur = heads[b] ?? EMPTY;
      if (cur === slot) heads[b] = rec[base + link] ?? EMPTY;
      else {
        while (cur !== EMPTY) {
          const nx = rec[cur * stride + link] ?? EMPTY;
          if (nx === slot) {
            rec[cur * stride + link] = rec[base + link] ?? EMPTY;
            break;
          }
          cur = nx;
        }
      }
    }
    for (let w = 0; w < WORDS; w++) rec[base + w] = 0;
    this.slots.release(slot);
    return true;
  }

  /** Approximate bytes held by typed arrays (for capacity planning and the benchmark). */
  get byteSize(): number {
    let total = this.rec.byteLength + this.slots.byteSize;
    for (const h of this.heads) total += h.byteLength;
    return total;
  }

  /** Parses a 64-hex-digit hash into `qWords`; throws `MOD_ERR_MATCHER_BAD_HASH`. */
  protected parseQuery(hex: string): void {
    if (!parseHexWordsInto(hex, WORDS, this.qWords)) {
      throw new MatcherError(MatcherErrorCode.BadHash, `expected 64 hex digits for a 256-bit hash`);
    }
  }

  /** Substring i of the hash at `words[base..base+8)`. */
  protected chunkOf(words: Int32Array | Uint32Array, base: number, i: number): number {
    const start = this.chunkStart[i] ?? 0;
    const len = this.chunkLen[i] ?? 0;
    const w = start >>> 5;
    const o = start & 31;
    let v = (words[base + w] ?? 0) >>> o;
    if (o + len > 32) v |= (words[base + w + 1] ?? 0) << (32 - o);
    return v & ((1 << len) - 1);
  }

  /** Head of table i for a substring: the substring itself once the table is direct, else its hash. */
  protected bucketOf(i: number, key: number): number {
    const k = this.headBits[i] ?? 0;
    return k === this.chunkLen[i] ? key : Math.imul(key, 0x9e3779b1) >>> (32 - k);
  }

  /** Sizes every table for the live count and links every live slot, one table at a time (bulk load). */
  protected rebuildTables(): void {
    const wanted = headBitsFor(this.slots.liveCount * 2);
    for (let i = 0; i < this.m; i++) this.rehashTable(i, Math.min(this.chunkLen[i] ?? 0, wanted));
  }

  protected growArrays(capacity: number): void {
    this.rec = grownCopy(this.rec, capacity * this.stride);
  }

  /** Keeps tables at load factor <= 1/2 until they reach direct addressing (2^len heads). */
  private maybeGrowHeads(): void {
    const liveCount = this.slots.liveCount;
    for (let i = 0; i < this.m; i++) {
      const k = this.headBits[i] ?? 0;
      const len = this.chunkLen[i] ?? 0;
      if (k >= len || liveCount * 2 <= 2 ** k) continue;
      this.rehashTable(i, Math.min(len, headBitsFor(liveCount * 2)));
    }
  }

  private rehashTable(i: number, bits: number): void {
    this.headBits[i] = bits;
    const heads = new Int32Array(2 ** bits).fill(EMPTY);
    const rec = this.rec;
    const stride = this.stride;
    const link = WORDS + i;
    const live = this.slots.live;
    const end = this.slots.highWater;
    for (let s = 0; s < end; s++) {
      if (live[s] !== 1) continue;
      const base = s * stride;
      const b = this.bucketOf(i, this.chunkOf(rec, base, i));
      rec[base + link] = heads[b] ?? EMPTY;
      heads[b] = s;
    }
    this.heads[i] = heads;
  }
}
