import { parseHexWordsInto, wordsToHex } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { ByteWriter, openSnapshot, sealSnapshot } from './snapshot-bytes.js';
import type { StreamReader, StreamWriter } from './snapshot-stream.js';
import { MAX_SLOTS, SlotAllocator, SlotOwner, grownCopy } from './slot-allocator.js';

const EMPTY = -1;
const SNAPSHOT_MAGIC = 'MODEXSET';
const SNAPSHOT_VERSION = 1;
/** Streamed form (`writeTo` / `readFrom`): the whole state, so slots keep their numbers and loading is reads only. */
const STREAM_MAGIC = 'MODEXSST';
const STREAM_VERSION = 1;

/** Options of {@link ExactHashSet}. */
export interface ExactHashSetOptions {
  /** Digest length in bytes: 16 (MD5), 20 (SHA-1) or 32 (SHA-256). */
  digestBytes: 16 | 20 | 32;
  /** Expected number of entries (pre-sizes the table). Default 1024. */
  capacity?: number;
}

/**
 * Multiset of fixed-length digests (MD5, SHA-1, SHA-256) for exact matching, with add and remove.
 *
 * Digests are stored as words in one typed array with chained buckets (head array + per-slot next link),
 * hashed on their first word (digests are already uniform). Duplicate values are separate slots, so two banks
 * listing the same MD5 each get their hit. No JS object per entry.
 */
export class ExactHashSet extends SlotOwner {
  readonly digestBytes: 16 | 20 | 32;
  private readonly words: number;
  private values: Uint32Array;
  private next: Int32Array;
  private heads: Int32Array;
  private headBits: number;
  protected slots: SlotAllocator;
  private readonly q: Uint32Array;

  constructor(options: ExactHashSetOptions) {
    super();
    const bytes = options.digestBytes;
    if (bytes !== 16 && bytes !== 20 && bytes !== 32) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `digestBytes must be 16, 20 or 32`);
    }
    const capacity = options.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_SLOTS) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `capacity must be an integer in 0..2^31-1`);
    }
    this.digestBytes = bytes;
    this.words = bytes / 4;
    this.q = new Uint32Array(this.words);
    const slots = Math.max(16, capacity);
    this.values = new Uint32Array(slots * this.words);
    this.next = new Int32Array(slots);
    this.slots = new SlotAllocator(slots);
    this.headBits = Math.max(4, Math.ceil(Math.log2(slots)));
    this.heads = new Int32Array(2 ** this.headBits).fill(EMPTY);
  }

  /** Lowercase hex of the digest in `slot`. */
  get(slot: number): string {
    this.slots.requireLive(slot);
    return wordsToHex(this.values, this.words, slot * this.words);
  }

  /** Adds a hex digest (either case); returns its slot. */
  add(hex: string): number {
    this.parse(hex);
    return this.addWords(this.q, 0);
  }

  /** Adds the digest words at `words[offset..)`; returns its slot. */
  addWords(words: Uint32Array, offset = 0): number {
    const slot = this.takeSlot('exact set is full');
    const W = this.words;
    for (let w = 0; w < W; w++) this.values[slot * W + w] = words[offset + w] ?? 0;
    const b = this.bucket(slot * W, this.values);
    this.next[slot] = this.heads[b] ?? EMPTY;
    this.heads[b] = slot;
    if (this.slots.liveCount > 2 ** this.headBits) this.rehash(this.headBits + 1);
    return slot;
  }

  /** Removes `slot`; false if it was not live. */
  remove(slot: number): boolean {
    if (!this.slots.has(slot)) return false;
    const W = this.words;
    const b = this.bucket(slot * W, this.values);
    let cur = this.heads[b] ?? EMPTY;
    if (cur === slot) this.heads[b] = this.next[slot] ?? EMPTY;
    else {
      while (cur !== EMPTY) {
        const nx = this.next[cur] ?? EMPTY;
        if (nx === slot) {
          this.next[cur] = this.next[slot] ?? EMPTY;
          break;
        }
        cur = nx;
      }
    }
    this.values.fill(0, slot * W, slot * W + W);
    this.slots.release(slot);
    return true;
  }

  /**
   * Adds `hex` unless the set already holds it, parsing it once: returns the new slot, or `-1 - slot` of the
   * first slot already holding it (so a negative result means "present"). For duplicate detection over
   * millions of lines. Throws `MOD_ERR_MATCHER_BAD_HASH` on bad hex.
   */
  addUnique(hex: string): number {
    this.parse(hex);
    for (let s = this.heads[this.bucket(0, this.q)] ?? EMPTY; s !== EMPTY; s = this.next[s] ?? EMPTY) {
      if (this.holdsQuery(s)) return -1 - s;
    }
    return this.addWords(this.q, 0);
  }

  /** Every slot holding exactly `hex` (case-insensitive). Throws `MOD_ERR_MATCHER_BAD_HASH` on bad hex. */
  find(hex: string): number[] {
    this.parse(hex);
    const out: number[] = [];
    for (let s = this.heads[this.bucket(0, this.q)] ?? EMPTY; s !== EMPTY; s = this.next[s] ?? EMPTY) {
      if (this.holdsQuery(s)) out.push(s);
    }
    return out;
  }

  /** Snapshot: header, digest length, live digests in ascending slot order, CRC-32. */
  serialize(): Uint8Array {
    const body = new ByteWriter();
    body.u32(this.digestBytes);
    const slots = this.liveSlots();
    const W = this.words;
    const packed = new Uint32Array(slots.length * W);
    for (let j = 0; j < slots.length; j++) {
      const base = (slots[j] ?? 0) * W;
      packed.set(this.values.subarray(base, base + W), j * W);
    }
    body.words(packed);
    return sealSnapshot(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, body);
  }

  /** Rebuilds a set from `serialize` output (slots renumbered 0..n-1). Throws `SnapshotError` if corrupt. */
  static deserialize(bytes: Uint8Array): ExactHashSet {
    const r = openSnapshot(bytes, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 'exact set');
    const digestBytes = r.u32();
    const words = r.words();
    r.end();
    if (
      (digestBytes !== 16 && digestBytes !== 20 && digestBytes !== 32) ||
      words.length % (digestBytes / 4) !== 0
    ) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, 'exact set snapshot has an invalid layout');
    }
    const W = digestBytes / 4;
    const n = words.length / W;
    const set = new ExactHashSet({ digestBytes, capacity: n });
    for (let j = 0; j < n; j++) set.addWords(words, j * W);
    return set;
  }

  /**
   * Streams the whole state (digests, chain links, heads, live flags, free list) so `readFrom` restores it with
   * sequential reads and every slot keeps its number. The set must not change until the promise resolves.
   */
  async writeTo(w: StreamWriter): Promise<void> {
    await w.begin(STREAM_MAGIC, STREAM_VERSION);
    w.u32(this.digestBytes);
    const highWater = this.slots.highWater;
    w.u64(highWater);
    w.u64(this.slots.liveCount);
    w.u32(this.headBits);
    await w.array(this.heads);
    await w.array(this.values.subarray(0, highWater * this.words));
    await w.array(this.next.subarray(0, highWater));
    await this.slots.writeTo(w);
  }

  /** Restores what `writeTo` wrote (same slots). The caller checks the stream's CRC (`StreamReader.end`). */
  static async readFrom(r: StreamReader): Promise<ExactHashSet> {
    await r.begin(STREAM_MAGIC, STREAM_VERSION);
    const digestBytes = await r.u32();
    if (digestBytes !== 16 && digestBytes !== 20 && digestBytes !== 32)
      r.corrupt('has an invalid digest length');
    const highWater = await r.u64();
    const liveCount = await r.u64();
    const headBits = await r.u32();
    if (highWater > MAX_SLOTS || liveCount > highWater || headBits < 4 || headBits > 31) {
      r.corrupt('has invalid counts');
    }
    const set = new ExactHashSet({ digestBytes, capacity: 0 });
    const W = set.words;
    const capacity = Math.max(16, highWater);
    set.headBits = headBits;
    set.heads = await r.array((n) => new Int32Array(n), { expected: 2 ** headBits });
    set.values = new Uint32Array(capacity * W);
    await r.array((n) => new Uint32Array(n), { expected: highWater * W, into: set.values });
    set.next = new Int32Array(capacity);
    await r.array((n) => new Int32Array(n), { expected: highWater, into: set.next });
    set.slots = await SlotAllocator.readFrom(r, { highWater, liveCount, capacity });
    // Links and heads are followed by lookups: each must name a slot below the high-water mark (or be empty).
    for (const links of [set.heads, set.next.subarray(0, highWater)]) {
      for (let i = 0; i < links.length; i++) {
        const v = links[i] ?? EMPTY;
        if (v < EMPTY || v >= highWater) r.corrupt('has a link outside its slots');
      }
    }
    return set;
  }

  private parse(hex: string): void {
    if (typeof hex !== 'string' || !parseHexWordsInto(hex, this.words, this.q)) {
      throw new MatcherError(
        MatcherErrorCode.BadHash,
        `expected ${this.digestBytes * 2} hex digits for a ${this.digestBytes}-byte digest`,
      );
    }
  }

  /** Whether `slot` holds the digest last parsed into the query words. */
  private holdsQuery(slot: number): boolean {
    const W = this.words;
    for (let w = 0; w < W; w++) if (this.values[slot * W + w] !== this.q[w]) return false;
    return true;
  }

  private bucket(base: number, arr: Uint32Array): number {
    return Math.imul((arr[base] ?? 0) ^ (arr[base + 1] ?? 0), 0x9e3779b1) >>> (32 - this.headBits);
  }

  protected growArrays(capacity: number): void {
    this.values = grownCopy(this.values, capacity * this.words);
    this.next = grownCopy(this.next, capacity);
  }

  private rehash(bits: number): void {
    this.headBits = bits;
    this.heads = new Int32Array(2 ** bits).fill(EMPTY);
    const live = this.slots.live;
    const end = this.slots.highWater;
    for (let s = 0; s < end; s++) {
      if (live[s] !== 1) continue;
      const b = this.bucket(s * this.words, this.values);
      this.next[s] = this.heads[b] ?? EMPTY;
      this.heads[b] = s;
    }
  }
}
