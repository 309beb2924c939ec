import { parseHexWordsInto, popcount32, wordsToHex } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { ByteWriter, openSnapshot, sealSnapshot } from './snapshot-bytes.js';
import type { StreamReader, StreamWriter } from './snapshot-stream.js';

/** Words (32-bit) per 256-bit hash. */
const WORDS = 8;
const BITS = 256;
/** Largest per-table probe radius before a full scan is cheaper (C(29,5) probes would be ~118k). */
const MAX_TABLE_RADIUS = 4;
const MIN_HEAD_BITS = 6;
/**
 * Records touched before they are worked on: enough loads in flight to cover memory latency, few enough that the
 * lines are still in L1 (and their pages in the TLB) when the block is verified.
 */
const BLOCK = 64;
const EMPTY = -1;
const MAX_CAPACITY = 2 ** 31 - 1;
const SNAPSHOT_MAGIC = 'MODHAMIX';
const SNAPSHOT_VERSION = 1;
/** Streamed form (`writeTo` / `readFrom`): the whole state, tables included, so loading is one read. */
const STREAM_MAGIC = 'MODHAMST';
/** 2: substring lengths are written (1 derived them from m). */
const STREAM_VERSION = 2;
/**
 * Above this capacity the default is m = 10 (see `chunks`): its heads then reach 2^27, so every table is directly
 * addressed (hashed heads lose the probes' page locality: measured, m = 10 is slower than 11 at 30M, faster at 40M).
 */
const LARGE_CAPACITY = 2 ** 25;
const MIN_CHUNK_BITS = 4;
const MAX_CHUNK_BITS = 30;

/**
 * Substring lengths for m tables. Balanced (longer ones first) except m = 10, which is laid out for radius 31 at
 * tens of millions of entries: the two tables probed at substring radius 3 (3,304 probes each) get 27 bits, so each
 * probe there finds half as many candidates (N / 2^27), and tables probed at radius 2 give up the bits (see README).
 */
function defaultChunkBits(m: number): number[] {
  if (m === 10) return [27, 27, 26, 26, 25, 25, 25, 25, 25, 25];
  const short = Math.floor(BITS / m);
  const longCount = BITS - short * m;
  return Array.from({ length: m }, (_, i) => (i < longCount ? short + 1 : short));
}

/** Options of {@link HammingIndex}. */
export interface HammingIndexOptions {
  /**
   * Expected number of entries. Tables and arrays are sized for it up front, so a bulk load never
   * re-hashes or re-allocates. The index still grows past it (amortised). Default 1024.
   */
  capacity?: number;
  /**
   * Number of substrings (multi-index hashing tables), 9..32. Default by `capacity`: 11 (23/24-bit substrings, the
   * faster split for radius 31 up to ~33M entries), 10 above 2^25 entries (25..27-bit substrings: at 60M ~2x the
   * queries/s of m = 11 for 1.6 GiB more memory; see README).
   */
  chunks?: number;
  /**
   * Substring lengths in bits, in table order (each 4..30, summing to 256); sets `chunks` to their count. The
   * first tables get the higher substring radius when the radius does not split evenly. Default: see
   * `defaultChunkBits`.
   */
  chunkBits?: readonly number[];
}

/**
 * Reusable output buffer of a search: parallel arrays of slots and distances, grown on demand and never
 * shrunk, so a steady stream of queries allocates nothing.
 */
export class SearchHits {
  slots: Int32Array;
  distances: Uint16Array;
  count = 0;

  constructor(initialCapacity = 64) {
    this.slots = new Int32Array(Math.max(1, initialCapacity));
    this.distances = new Uint16Array(Math.max(1, initialCapacity));
  }

  clear(): void {
    this.count = 0;
  }

  push(slot: number, distance: number): void {
    if (this.count === this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      slots.set(this.slots);
      const distances = new Uint16Array(this.slots.length * 2);
      distances.set(this.distances);
      this.slots = slots;
      this.distances = distances;
    }
    this.slots[this.count] = slot;
    this.distances[this.count] = distance;
    this.count++;
  }
}

/** Per-radius probe plan: each table's substring radius (-1 = table not probed) and its flip masks. */
interface Plan {
  readonly radius: number;
  readonly tableRadius: Int32Array;
  readonly masks: readonly (Int32Array | null)[];
  /** True when some table radius exceeds MAX_TABLE_RADIUS: only a scan is sensible. */
  readonly scanOnly: boolean;
  readonly probes: number;
}

const maskCache = new Map<number, Int32Array>();

/**
 * All `bits`-bit masks of popcount <= `radius`, in ascending order: probes `key ^ mask` that differ only in low bits
 * (the same page of a directly addressed head array) come one after another.
 */
function flipMasks(bits: number, radius: number): Int32Array {
  const key = bits * 64 + radius;
  const cached = maskCache.get(key);
  if (cached) return cached;
  const out: number[] = [0];
  let frontier = [0];
  for (let w = 1; w <= radius; w++) {
    const nextFrontier: number[] = [];
    for (const m of frontier) {
      // Extend only above the highest set bit so each mask is produced once.
      const top = m === 0 ? -1 : 31 - Math.clz32(m);
      for (let b = top + 1; b < bits; b++) nextFrontier.push(m | (1 << b));
    }
    out.push(...nextFrontier);
    frontier = nextFrontier;
  }
  const arr = Int32Array.from(out).sort();
  maskCache.set(key, arr);
  return arr;
}

/**
 * Head array bits for `entries`: load factor at most 1/2 (a table reaches direct addressing, one head per substring
 * value, once its substring has at most that many bits: at 60M entries every substring of up to 27 bits).
 */
function headBitsFor(entries: number): number {
  return Math.max(MIN_HEAD_BITS, Math.min(30, Math.ceil(Math.log2(Math.max(2, entries * 2)))));
}

function checkRadius(radius: number): void {
  if (!Number.isInteger(radius) || radius < 0 || radius > BITS) {
    throw new MatcherError(
      MatcherErrorCode.BadArgument,
      `radius must be an integer in 0..256, got ${radius}`,
    );
  }
}

/**
 * Exact Hamming-radius index over 256-bit hashes (PDQ, blockhash): multi-index hashing.
 *
 * The 256 bits are split into m substrings, each indexed in its own table. By the generalised pigeonhole
 * principle, if d(q, x) <= r then some substring i has d_i(q, x) <= t_i whenever sum(t_i) >= r - m + 1, so
 * probing every key within t_i of the query's substring in table i finds every neighbour: no misses, for any
 * input distribution. Candidates are verified on the full 256 bits; a hit found in table i is reported only if
 * no earlier table would also have found it, so results are unique without a per-query set.
 *
 * Layout (memory access is the cost): one `Int32Array` of slot records, each the 8 hash words followed by the
 * slot's chain link in every table; each table is a head array indexed directly by the substring (or by its
 * multiplicative hash while the index is small). No JS objects per entry: 60M entries with m = 10 take 6.3 GiB.
 * Add and remove are O(m) and take effect immediately; removed slots are reused.
 */
export class HammingIndex {
  private readonly m: number;
  private readonly chunkStart: Int32Array;
  private readonly chunkLen: Int32Array;
  private readonly headBits: Int32Array;
  /** Words per slot record: the 8 hash words, then one `next` link per table. */
  private readonly stride: number;
  private heads: Int32Array[];
  /**
   * Slot records, `stride` words each: hash words 0..7, then table i's chain link at 8 + i. A candidate's link and
   * hash sit on the same page (one TLB miss, not two: on a virtual machine a page walk costs more than the cache
   * miss itself, and at 60M entries nearly every candidate is both).
   */
  private rec: Int32Array;
  private live: Uint8Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private capacity: number;
  private highWater = 0;
  private liveCount = 0;
  private readonly plans = new Map<number, Plan>();
  private readonly qChunks: Int32Array;
  private readonly qWords = new Uint32Array(WORDS);
  private readonly scratchHits = new SearchHits();
  /** XOR of the touch passes' loads (see `searchWords`). */
  private touched = 0;
  // Frontier buffers of one table's chain traversal (slot, and the probed substring while heads are hashed),
  // double-buffered.
  private frontSlots = new Int32Array(0);
  private frontKeys = new Int32Array(0);
  private backSlots = new Int32Array(0);
  private backKeys = new Int32Array(0);

  constructor(options: HammingIndexOptions = {}) {
    const capacity = options.capacity ?? 1024;
    const bits = options.chunkBits;
    const m = bits?.length ?? options.chunks ?? (capacity > LARGE_CAPACITY ? 10 : 11);
    if (!Number.isInteger(m) || m < 9 || m > 32) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `chunks must be an integer in 9..32, got ${m}`);
    }
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_CAPACITY) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `capacity must be an integer in 0..2^31-1`);
    }
    this.m = m;
    this.chunkStart = new Int32Array(m);
    this.chunkLen = new Int32Array(m);
    this.headBits = new Int32Array(m);
    this.qChunks = new Int32Array(m);
    if (options.chunks !== undefined && bits !== undefined && options.chunks !== bits.length) {
      throw new MatcherError(MatcherErrorCode.BadArgument, `chunks and chunkBits disagree`);
    }
    const lengths = bits ?? defaultChunkBits(m);
    if (
      lengths.some((b) => !Number.isInteger(b) || b < MIN_CHUNK_BITS || b > MAX_CHUNK_BITS) ||
      lengths.reduce((a, b) => a + b, 0) !== BITS
    ) {
      throw new MatcherError(
        MatcherErrorCode.BadArgument,
        `chunkBits must be integers in ${MIN_CHUNK_BITS}..${MAX_CHUNK_BITS} summing to ${BITS}`,
      );
    }
    let start = 0;
    for (let i = 0; i < m; i++) {
      const len = lengths[i] ?? 0;
      this.chunkStart[i] = start;
      this.chunkLen[i] = len;
      start += len;
    }
    this.stride = WORDS + m;
    this.capacity = Math.max(16, capacity);
    this.rec = new Int32Array(this.capacity * this.stride);
    this.live = new Uint8Array(this.capacity);
    this.freeSlots = new Int32Array(16);
    this.heads = [];
    const wanted = headBitsFor(capacity);
    for (let i = 0; i < m; i++) {
      const k = Math.min(this.chunkLen[i] ?? 0, wanted);
      this.headBits[i] = k;
      this.heads.push(new Int32Array(2 ** k).fill(EMPTY));
    }
  }

  /** Number of live entries. */
  get size(): number {
    return this.liveCount;
  }

  /** One past the highest slot ever used (slots are below it; some may be free). */
  get slotLimit(): number {
    return this.highWater;
  }

  /** Number of substring tables (m). */
  get chunks(): number {
    return this.m;
  }

  /** True when `slot` holds a live entry. */
  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.highWater && this.live[slot] === 1;
  }

  /** Lowercase hex of the hash stored in `slot`. */
  get(slot: number): string {
    this.checkSlot(slot);
    const base = slot * this.stride;
    return wordsToHex(new Uint32Array(this.rec.buffer, this.rec.byteOffset + base * 4, WORDS), WORDS, 0);
  }

  /** Live slots in ascending order: the order `serialize` writes and `deserialize` renumbers to 0..n-1. */
  liveSlots(): Int32Array {
    const out = new Int32Array(this.liveCount);
    let n = 0;
    for (let s = 0; s < this.highWater; s++) if (this.live[s] === 1) out[n++] = s;
    return out;
  }

  /** Adds a 64-hex-digit hash; returns its slot. Duplicates are separate entries. */
  add(hex: string): number {
    if (!parseHexWordsInto(hex, WORDS, this.qWords)) {
      throw new MatcherError(MatcherErrorCode.BadHash, `expected 64 hex digits for a 256-bit hash`);
    }
    return this.addWords(this.qWords, 0);
  }

  /** Adds the 8 words at `words[offset..offset+8)`; returns the slot. The hot path for bulk loads. */
  addWords(words: Uint32Array, offset = 0): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount] ?? 0;
    else {
      if (this.highWater === this.capacity) this.growSlots();
      slot = this.highWater++;
    }
    const rec = this.rec;
    const base = slot * this.stride;
    for (let w = 0; w < WORDS; w++) rec[base + w] = words[offset + w] ?? 0;
    this.live[slot] = 1;
    this.liveCount++;
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
    if (!this.has(slot)) return false;
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
    this.live[slot] = 0;
    for (let w = 0; w < WORDS; w++) rec[base + w] = 0;
    this.liveCount--;
    if (this.freeCount === this.freeSlots.length) {
      const grown = new Int32Array(this.freeSlots.length * 2);
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.freeCount++] = slot;
    return true;
  }

  /** Convenience search by hex: every entry within `radius`, as fresh objects sorted by distance then slot. */
  search(hex: string, radius: number): { slot: number; distance: number }[] {
    if (!parseHexWordsInto(hex, WORDS, this.qWords)) {
      throw new MatcherError(MatcherErrorCode.BadHash, `expected 64 hex digits for a 256-bit hash`);
    }
    const hits = this.scratchHits;
    this.searchWords(this.qWords, 0, radius, hits);
    const out: { slot: number; distance: number }[] = [];
    for (let i = 0; i < hits.count; i++)
      out.push({ slot: hits.slots[i] ?? 0, distance: hits.distances[i] ?? 0 });
    out.sort((a, b) => a.distance - b.distance || a.slot - b.slot);
    return out;
  }

  /**
   * Finds every live entry within Hamming distance `radius` (inclusive) of the query words
   * `query[offset..offset+8)`, writing slots and distances into `hits` (cleared first, unordered, each slot
   * once). Allocation-free in steady state. Returns the hit count.
   */
  searchWords(query: Uint32Array, offset: number, radius: number, hits: SearchHits): number {
    checkRadius(radius);
    hits.clear();
    if (this.liveCount === 0) return 0;
    const plan = this.planFor(radius);
    if (plan.scanOnly || plan.probes > this.liveCount) return this.scan(query, offset, radius, hits);

    const q0 = query[offset] ?? 0;
    const q1 = query[offset + 1] ?? 0;
    const q2 = query[offset + 2] ?? 0;
    const q3 = query[offset + 3] ?? 0;
    const q4 = query[offset + 4] ?? 0;
    const q5 = query[offset + 5] ?? 0;
    const q6 = query[offset + 6] ?? 0;
    const q7 = query[offset + 7] ?? 0;
    const qChunks = this.qChunks;
    for (let i = 0; i < this.m; i++) qChunks[i] = this.chunkOf(query, offset, i);

    // Table by table: first every probed bucket head, then the chains level by level (one link further each
    // round). Memory latency is the whole cost (at 60M entries nearly every head and every record is a cache and
    // TLB miss), so each step is split into passes: a loop of loads only ("touch"), which lets the CPU keep many
    // misses in flight, then the work on what is now in cache. A loaded value that decides a branch or a store
    // position would hold up every later load until memory answers, so the passes that wait on memory are
    // branch-free (an empty head is written and not counted instead of skipped).
    this.ensureFrontier(plan.probes);
    const rec = this.rec;
    const stride = this.stride;
    let touched = 0;
    for (let i = 0; i < this.m; i++) {
      const masks = plan.masks[i];
      if (!masks) continue;
      let front = this.frontSlots;
      let back = this.backSlots;
      let frontKey = this.frontKeys;
      let backKey = this.backKeys;
      const heads = this.heads[i]!;
      const k = this.headBits[i]!;
      const key = qChunks[i]!;
      const nMasks = masks.length;
      // Direct addressing (the head array is indexed by the substring itself) once the index is large; a
      // multiplicative hash of it while small, and then a chain also holds other substrings (checked below).
      const direct = k === this.chunkLen[i];
      let n = 0;
      if (direct) {
        // Masks ascend, so probes that share a page of heads come one after another.
        for (let p = 0; p < nMasks; p++) touched ^= heads[key ^ masks[p]!]!;
        for (let p = 0; p < nMasks; p++) {
          const s = heads[key ^ masks[p]!]!;
          front[n] = s;
          n += (s >>> 31) ^ 1;
        }
      } else {
        const shift = 32 - k;
        for (let p = 0; p < nMasks; p++) touched ^= heads[Math.imul(key ^ masks[p]!, 0x9e3779b1) >>> shift]!;
        for (let p = 0; p < nMasks; p++) {
          const probe = key ^ masks[p]!;
          const s = heads[Math.imul(probe, 0x9e3779b1) >>> shift]!;
          front[n] = s;
          frontKey[n] = probe;
          n += (s >>> 31) ^ 1;
        }
      }
      const link = WORDS + i;
      while (n > 0) {
        let n2 = 0;
        for (let start = 0; start < n; start += BLOCK) {
          const end = Math.min(n, start + BLOCK);
          // Touch each record's first hash word and its link here (two lines of one page, or one).
          for (let x = start; x < end; x++) {
            const base = front[x]! * stride;
            touched ^= rec[base]! ^ rec[base + link]!;
          }
          for (let x = start; x < end; x++) {
            const s = front[x]!;
            const base = s * stride;
            const nx = rec[base + link]!;
            back[n2] = nx;
            if (!direct) backKey[n2] = frontKey[x]!;
            n2 += (nx >>> 31) ^ 1;
            if (!direct && this.chunkOf(rec, base, i) !== frontKey[x]) continue;
            let d =
              popcount32(q0 ^ rec[base]!) +
              popcount32(q1 ^ rec[base + 1]!) +
              popcount32(q2 ^ rec[base + 2]!) +
              popcount32(q3 ^ rec[base + 3]!);
            if (d > radius) continue;
            d +=
              popcount32(q4 ^ rec[base + 4]!) +
              popcount32(q5 ^ rec[base + 5]!) +
              popcount32(q6 ^ rec[base + 6]!) +
              popcount32(q7 ^ rec[base + 7]!);
            if (d <= radius && !this.foundEarlier(plan, i, base)) hits.push(s, d);
          }
        }
        const ts = front;
        front = back;
        back = ts;
        const tk = frontKey;
        frontKey = backKey;
        backKey = tk;
        n = n2;
      }
    }
    // Kept so the touch loads are not optimised away.
    this.touched = touched;
    return hits.count;
  }

  /** Brute-force reference: scans every live slot. Used for huge radii and by tests and benchmarks. */
  scan(query: Uint32Array, offset: number, radius: number, hits: SearchHits): number {
    checkRadius(radius);
    hits.clear();
    const q0 = query[offset] ?? 0;
    const q1 = query[offset + 1] ?? 0;
    const q2 = query[offset + 2] ?? 0;
    const q3 = query[offset + 3] ?? 0;
    const q4 = query[offset + 4] ?? 0;
    const q5 = query[offset + 5] ?? 0;
    const q6 = query[offset + 6] ?? 0;
    const q7 = query[offset + 7] ?? 0;
    const rec = this.rec;
    const stride = this.stride;
    const live = this.live;
    const end = this.highWater;
    for (let s = 0; s < end; s++) {
      const base = s * stride;
      const d =
        popcount32(q0 ^ (rec[base] ?? 0)) +
        popcount32(q1 ^ (rec[base + 1] ?? 0)) +
        popcount32(q2 ^ (rec[base + 2] ?? 0)) +
        popcount32(q3 ^ (rec[base + 3] ?? 0)) +
        popcount32(q4 ^ (rec[base + 4] ?? 0)) +
        popcount32(q5 ^ (rec[base + 5] ?? 0)) +
        popcount32(q6 ^ (rec[base + 6] ?? 0)) +
        popcount32(q7 ^ (rec[base + 7] ?? 0));
      if (d <= radius && live[s] === 1) hits.push(s, d);
    }
    return hits.count;
  }

  /**
   * Compact snapshot: header (magic, version), the substring count, then the live hashes in ascending slot
   * order (32 bytes each), then a CRC-32. Slots are renumbered 0..n-1 in that order (see `liveSlots`).
   */
  serialize(): Uint8Array {
    const body = new ByteWriter();
    body.u32(this.m);
    const slots = this.liveSlots();
    const packed = new Uint32Array(slots.length * WORDS);
    const rec = this.rec;
    for (let j = 0; j < slots.length; j++) {
      const base = (slots[j] ?? 0) * this.stride;
      for (let w = 0; w < WORDS; w++) packed[j * WORDS + w] = rec[base + w] ?? 0;
    }
    body.words(packed);
    return sealSnapshot(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, body);
  }

  /**
   * Rebuilds an index from `serialize` output (which keeps m, not the substring lengths: `chunkBits`, if given,
   * must have m entries; else the default layout for m). Throws `SnapshotError` on any corruption.
   */
  static deserialize(bytes: Uint8Array, options: Omit<HammingIndexOptions, 'chunks'> = {}): HammingIndex {
    const r = openSnapshot(bytes, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 'hamming index');
    const m = r.u32();
    const words = r.words();
    r.end();
    if (m < 9 || m > 32 || words.length % WORDS !== 0) {
      throw new SnapshotError(
        MatcherErrorCode.CorruptSnapshot,
        'hamming index snapshot has an invalid layout',
      );
    }
    const n = words.length / WORDS;
    const index = new HammingIndex({
      chunks: m,
      capacity: Math.max(n, options.capacity ?? 0),
      ...(options.chunkBits === undefined ? {} : { chunkBits: options.chunkBits }),
    });
    const rec = index.rec;
    for (let j = 0; j < n; j++) {
      const base = j * index.stride;
      for (let w = 0; w < WORDS; w++) rec[base + w] = words[j * WORDS + w] ?? 0;
      index.live[j] = 1;
    }
    index.highWater = n;
    index.liveCount = n;
    index.rebuildTables();
    return index;
  }

  /**
   * Streams the whole state (records with their chain links, head arrays, free list) so `readFrom` restores it
   * with sequential reads only and slots keep their numbers: at 60M entries, rebuilding the tables would take
   * ~600M random writes; reading them back is a few GB of sequential I/O. Live views are written: the index must
   * not change until the returned promise resolves.
   */
  async writeTo(w: StreamWriter): Promise<void> {
    await w.begin(STREAM_MAGIC, STREAM_VERSION);
    w.u32(this.m);
    for (let i = 0; i < this.m; i++) w.u32(this.chunkLen[i] ?? 0);
    w.u64(this.highWater);
    w.u64(this.liveCount);
    for (let i = 0; i < this.m; i++) w.u32(this.headBits[i] ?? 0);
    for (const h of this.heads) await w.array(h);
    await w.array(this.rec.subarray(0, this.highWater * this.stride));
    await w.array(this.live.subarray(0, this.highWater));
    await w.array(this.freeSlots.subarray(0, this.freeCount));
  }

  /** Restores what `writeTo` wrote (same slots). The caller checks the stream's CRC (`StreamReader.end`). */
  static async readFrom(
    r: StreamReader,
    options: Pick<HammingIndexOptions, 'capacity'> = {},
  ): Promise<HammingIndex> {
    await r.begin(STREAM_MAGIC, STREAM_VERSION);
    const m = await r.u32();
    if (m < 9 || m > 32) r.corrupt('has an invalid substring count');
    const chunkBits: number[] = [];
    for (let i = 0; i < m; i++) chunkBits.push(await r.u32());
    if (
      chunkBits.some((b) => b < MIN_CHUNK_BITS || b > MAX_CHUNK_BITS) ||
      chunkBits.reduce((a, b) => a + b, 0) !== BITS
    ) {
      r.corrupt('has invalid substring lengths');
    }
    const highWater = await r.u64();
    const liveCount = await r.u64();
    if (highWater > MAX_CAPACITY || liveCount > highWater) r.corrupt('has invalid counts');
    const index = new HammingIndex({ chunkBits, capacity: 0 });
    index.capacity = Math.max(16, highWater, options.capacity ?? 0);
    index.highWater = highWater;
    index.liveCount = liveCount;
    for (let i = 0; i < m; i++) {
      const k = await r.u32();
      if (k < MIN_HEAD_BITS || k > (index.chunkLen[i] ?? 0)) r.corrupt('has an invalid table size');
      index.headBits[i] = k;
    }
    for (let i = 0; i < m; i++) {
      index.heads[i] = await r.array((n) => new Int32Array(n), { expected: 2 ** (index.headBits[i] ?? 0) });
    }
    index.rec = new Int32Array(index.capacity * index.stride);
    await r.array((n) => new Int32Array(n), { expected: highWater * index.stride, into: index.rec });
    index.live = new Uint8Array(index.capacity);
    await r.array((n) => new Uint8Array(n), { expected: highWater, into: index.live });
    const free = await r.array((n) => new Int32Array(n), { expected: highWater - liveCount });
    index.freeSlots = new Int32Array(Math.max(16, free.length));
    index.freeSlots.set(free);
    index.freeCount = free.length;
    return index;
  }

  /** Approximate bytes held by typed arrays (for capacity planning and the benchmark). */
  get byteSize(): number {
    let total = this.rec.byteLength + this.live.byteLength + this.freeSlots.byteLength;
    for (const h of this.heads) total += h.byteLength;
    return total;
  }

  private ensureFrontier(size: number): void {
    if (this.frontSlots.length >= size) return;
    this.frontSlots = new Int32Array(size);
    this.frontKeys = new Int32Array(size);
    this.backSlots = new Int32Array(size);
    this.backKeys = new Int32Array(size);
  }

  private checkSlot(slot: number): void {
    if (!this.has(slot)) throw new MatcherError(MatcherErrorCode.UnknownSlot, `slot ${slot} is not live`);
  }

  /** True when table j < i would also report this candidate (its substring j is within t_j). */
  private foundEarlier(plan: Plan, i: number, base: number): boolean {
    for (let j = 0; j < i; j++) {
      const t = plan.tableRadius[j] ?? -1;
      if (t < 0) continue;
      if (popcount32((this.qChunks[j] ?? 0) ^ this.chunkOf(this.rec, base, j)) <= t) return true;
    }
    return false;
  }

  private chunkOf(words: Int32Array | Uint32Array, base: number, i: number): number {
    const start = this.chunkStart[i] ?? 0;
    const len = this.chunkLen[i] ?? 0;
    const w = start >>> 5;
    const o = start & 31;
    let v = (words[base + w] ?? 0) >>> o;
    if (o + len > 32) v |= (words[base + w + 1] ?? 0) << (32 - o);
    return v & ((1 << len) - 1);
  }

  private bucketOf(i: number, key: number): number {
    const k = this.headBits[i] ?? 0;
    return k === this.chunkLen[i] ? key : Math.imul(key, 0x9e3779b1) >>> (32 - k);
  }

  private planFor(radius: number): Plan {
    const cached = this.plans.get(radius);
    if (cached) return cached;
    const m = this.m;
    // Generalised pigeonhole: thresholds summing to >= r - m + 1 (a threshold of -1 skips the table).
    const need = radius - m + 1;
    const base = Math.floor(need / m);
    const extra = need - base * m;
    const tableRadius = new Int32Array(m);
    const masks: (Int32Array | null)[] = [];
    let scanOnly = false;
    let probes = 0;
    for (let i = 0; i < m; i++) {
      const t = i < extra ? base + 1 : base;
      tableRadius[i] = t;
      if (t < 0) masks.push(null);
      else if (t > MAX_TABLE_RADIUS) {
        scanOnly = true;
        masks.push(null);
      } else {
        const mk = flipMasks(this.chunkLen[i] ?? 0, t);
        probes += mk.length;
        masks.push(mk);
      }
    }
    const plan: Plan = { radius, tableRadius, masks, scanOnly, probes };
    this.plans.set(radius, plan);
    return plan;
  }

  private growSlots(): void {
    const cap = Math.min(MAX_CAPACITY, Math.ceil(this.capacity * 1.5) + 16);
    if (cap <= this.capacity) {
      throw new MatcherError(MatcherErrorCode.CapacityExceeded, 'hamming index is full (2^31-1 entries)');
    }
    const rec = new Int32Array(cap * this.stride);
    rec.set(this.rec);
    this.rec = rec;
    const live = new Uint8Array(cap);
    live.set(this.live);
    this.live = live;
    this.capacity = cap;
  }

  /** Keeps tables at load factor <= 1/2 until they reach direct addressing (2^len heads). */
  private maybeGrowHeads(): void {
    for (let i = 0; i < this.m; i++) {
      const k = this.headBits[i] ?? 0;
      const len = this.chunkLen[i] ?? 0;
      if (k >= len || this.liveCount * 2 <= 2 ** k) continue;
      this.rehashTable(i, Math.min(len, headBitsFor(this.liveCount * 2)));
    }
  }

  private rehashTable(i: number, bits: number): void {
    this.headBits[i] = bits;
    const heads = new Int32Array(2 ** bits).fill(EMPTY);
    const rec = this.rec;
    const stride = this.stride;
    const link = WORDS + i;
    for (let s = 0; s < this.highWater; s++) {
      if (this.live[s] !== 1) continue;
      const base = s * stride;
      const b = this.bucketOf(i, this.chunkOf(rec, base, i));
      rec[base + link] = heads[b] ?? EMPTY;
      heads[b] = s;
    }
    this.heads[i] = heads;
  }

  /** Sizes every table for the live count and links every live slot, one table at a time (bulk load). */
  private rebuildTables(): void {
    const wanted = headBitsFor(this.liveCount * 2);
    for (let i = 0; i < this.m; i++) this.rehashTable(i, Math.min(this.chunkLen[i] ?? 0, wanted));
  }
}
