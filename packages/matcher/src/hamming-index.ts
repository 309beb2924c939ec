import { parseHexWordsInto, popcount32, wordsToHex } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { ByteWriter, openSnapshot, sealSnapshot } from './snapshot-io.js';

/** Words (32-bit) per 256-bit hash. */
const WORDS = 8;
const BITS = 256;
/** Largest per-table probe radius before a full scan is cheaper (C(29,5) probes would be ~118k). */
const MAX_TABLE_RADIUS = 4;
const MIN_HEAD_BITS = 6;
const EMPTY = -1;
const MAX_CAPACITY = 2 ** 31 - 1;
const SNAPSHOT_MAGIC = 'MODHAMIX';
const SNAPSHOT_VERSION = 1;

/** Options of {@link HammingIndex}. */
export interface HammingIndexOptions {
  /**
   * Expected number of entries. Tables and arrays are sized for it up front, so a bulk load never
   * re-hashes or re-allocates. The index still grows past it (amortised). Default 1024.
   */
  capacity?: number;
  /**
   * Number of substrings (multi-index hashing tables), 9..32. Default 11: 23/24-bit substrings, the cheapest
   * split for radius 31 at 1M..10M entries (fewest probes + candidates; see README).
   */
  chunks?: number;
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

/** All `bits`-bit masks of popcount <= `radius`, by ascending weight (0 first). */
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
  const arr = Int32Array.from(out);
  maskCache.set(key, arr);
  return arr;
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
 * Layout (memory access is the cost): hashes live in one `Uint32Array` (8 words per slot); each table is a
 * head array indexed directly by the substring (or by its multiplicative hash while the index is small) plus
 * a per-slot `next` link. No JS objects per entry: 10M entries take ~1.2 GB. Add and remove are O(m) and
 * take effect immediately; removed slots are reused.
 */
export class HammingIndex {
  private readonly m: number;
  private readonly chunkStart: Int32Array;
  private readonly chunkLen: Int32Array;
  private readonly headBits: Int32Array;
  private heads: Int32Array[];
  private next: Int32Array[];
  private hashes: Uint32Array;
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
  // Frontier buffers of the chain traversal (slot, probed key or -1 when direct, table), double-buffered.
  private frontSlots = new Int32Array(0);
  private frontKeys = new Int32Array(0);
  private frontTables = new Int32Array(0);
  private backSlots = new Int32Array(0);
  private backKeys = new Int32Array(0);
  private backTables = new Int32Array(0);

  constructor(options: HammingIndexOptions = {}) {
    const capacity = options.capacity ?? 1024;
    const m = options.chunks ?? 11;
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
    // Longer substrings first: the plan gives the extra unit of radius to the first tables.
    const short = Math.floor(BITS / m);
    const longCount = BITS - short * m;
    let start = 0;
    for (let i = 0; i < m; i++) {
      const len = i < longCount ? short + 1 : short;
      this.chunkStart[i] = start;
      this.chunkLen[i] = len;
      start += len;
    }
    this.capacity = Math.max(16, capacity);
    this.hashes = new Uint32Array(this.capacity * WORDS);
    this.live = new Uint8Array(this.capacity);
    this.freeSlots = new Int32Array(16);
    this.next = [];
    this.heads = [];
    const wanted = Math.max(MIN_HEAD_BITS, Math.ceil(Math.log2(Math.max(2, capacity))));
    for (let i = 0; i < m; i++) {
      this.next.push(new Int32Array(this.capacity));
      const k = Math.min(this.chunkLen[i] ?? 0, wanted);
      this.headBits[i] = k;
      this.heads.push(new Int32Array(2 ** k).fill(EMPTY));
    }
  }

  /** Number of live entries. */
  get size(): number {
    return this.liveCount;
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
    return wordsToHex(this.hashes, WORDS, slot * WORDS);
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
    const hashes = this.hashes;
    const base = slot * WORDS;
    for (let w = 0; w < WORDS; w++) hashes[base + w] = words[offset + w] ?? 0;
    this.live[slot] = 1;
    this.liveCount++;
    for (let i = 0; i < this.m; i++) {
      const heads = this.heads[i] as Int32Array;
      const b = this.bucketOf(i, this.chunkOf(hashes, base, i));
      (this.next[i] as Int32Array)[slot] = heads[b] ?? EMPTY;
      heads[b] = slot;
    }
    this.maybeGrowHeads();
    return slot;
  }

  /** Removes the entry in `slot` (its slot may be reused by a later add). Returns false if it was not live. */
  remove(slot: number): boolean {
    if (!this.has(slot)) return false;
    const hashes = this.hashes;
    const base = slot * WORDS;
    for (let i = 0; i < this.m; i++) {
      const heads = this.heads[i] as Int32Array;
      const next = this.next[i] as Int32Array;
      const b = this.bucketOf(i, this.chunkOf(hashes, base, i));
      let cur = heads[b] ?? EMPTY;
      if (cur === slot) heads[b] = next[slot] ?? EMPTY;
      else {
        while (cur !== EMPTY) {
          const nx = next[cur] ?? EMPTY;
          if (nx === slot) {
            next[cur] = next[slot] ?? EMPTY;
            break;
          }
          cur = nx;
        }
      }
    }
    this.live[slot] = 0;
    for (let w = 0; w < WORDS; w++) hashes[base + w] = 0;
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

    // Level-by-level traversal: first every probed bucket head of every table, then the chains one link at a
    // time. Each pass is a tight loop of independent loads, so the CPU keeps many cache misses in flight
    // (chasing one chain at a time would serialise them: memory latency is the whole cost here).
    this.ensureFrontier(plan.probes);
    let front = this.frontSlots;
    let frontKey = this.frontKeys;
    let frontTable = this.frontTables;
    let back = this.backSlots;
    let backKey = this.backKeys;
    let backTable = this.backTables;
    let n = 0;
    for (let i = 0; i < this.m; i++) {
      const masks = plan.masks[i];
      if (!masks) continue;
      const heads = this.heads[i]!;
      const k = this.headBits[i]!;
      const direct = k === this.chunkLen[i];
      const shift = 32 - k;
      const key = qChunks[i]!;
      const nMasks = masks.length;
      for (let p = 0; p < nMasks; p++) {
        const probe = key ^ masks[p]!;
        const s = heads[direct ? probe : Math.imul(probe, 0x9e3779b1) >>> shift]!;
        if (s !== EMPTY) {
          front[n] = s;
          frontKey[n] = direct ? -1 : probe;
          frontTable[n] = i;
          n++;
        }
      }
    }
    const hashes = this.hashes;
    const next = this.next;
    while (n > 0) {
      let n2 = 0;
      for (let x = 0; x < n; x++) {
        const s = front[x]!;
        const i = frontTable[x]!;
        const probe = frontKey[x]!;
        const nx = next[i]![s]!;
        if (nx !== EMPTY) {
          back[n2] = nx;
          backKey[n2] = probe;
          backTable[n2] = i;
          n2++;
        }
        const base = s << 3;
        if (probe !== -1 && this.chunkOf(hashes, base, i) !== probe) continue;
        let d =
          popcount32(q0 ^ hashes[base]!) +
          popcount32(q1 ^ hashes[base + 1]!) +
          popcount32(q2 ^ hashes[base + 2]!) +
          popcount32(q3 ^ hashes[base + 3]!);
        if (d > radius) continue;
        d +=
          popcount32(q4 ^ hashes[base + 4]!) +
          popcount32(q5 ^ hashes[base + 5]!) +
          popcount32(q6 ^ hashes[base + 6]!) +
          popcount32(q7 ^ hashes[base + 7]!);
        if (d <= radius && !this.foundEarlier(plan, i, base)) hits.push(s, d);
      }
      const ts = front;
      front = back;
      back = ts;
      const tk = frontKey;
      frontKey = backKey;
      backKey = tk;
      const tt = frontTable;
      frontTable = backTable;
      backTable = tt;
      n = n2;
    }
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
    const hashes = this.hashes;
    const live = this.live;
    const end = this.highWater;
    for (let s = 0; s < end; s++) {
      const base = s << 3;
      const d =
        popcount32(q0 ^ (hashes[base] ?? 0)) +
        popcount32(q1 ^ (hashes[base + 1] ?? 0)) +
        popcount32(q2 ^ (hashes[base + 2] ?? 0)) +
        popcount32(q3 ^ (hashes[base + 3] ?? 0)) +
        popcount32(q4 ^ (hashes[base + 4] ?? 0)) +
        popcount32(q5 ^ (hashes[base + 5] ?? 0)) +
        popcount32(q6 ^ (hashes[base + 6] ?? 0)) +
        popcount32(q7 ^ (hashes[base + 7] ?? 0));
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
    let packed: Uint32Array;
    if (slots.length === this.highWater) packed = this.hashes.subarray(0, this.highWater * WORDS);
    else {
      packed = new Uint32Array(slots.length * WORDS);
      for (let j = 0; j < slots.length; j++) {
        const base = (slots[j] ?? 0) * WORDS;
        packed.set(this.hashes.subarray(base, base + WORDS), j * WORDS);
      }
    }
    body.words(packed);
    return sealSnapshot(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, body);
  }

  /** Rebuilds an index from `serialize` output. Throws `SnapshotError` on any corruption. */
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
    const index = new HammingIndex({ chunks: m, capacity: Math.max(n, options.capacity ?? 0) });
    for (let j = 0; j < n; j++) index.addWords(words, j * WORDS);
    return index;
  }

  /** Approximate bytes held by typed arrays (for capacity planning and the benchmark). */
  get byteSize(): number {
    let total = this.hashes.byteLength + this.live.byteLength + this.freeSlots.byteLength;
    for (const h of this.heads) total += h.byteLength;
    for (const n of this.next) total += n.byteLength;
    return total;
  }

  private ensureFrontier(size: number): void {
    if (this.frontSlots.length >= size) return;
    this.frontSlots = new Int32Array(size);
    this.frontKeys = new Int32Array(size);
    this.frontTables = new Int32Array(size);
    this.backSlots = new Int32Array(size);
    this.backKeys = new Int32Array(size);
    this.backTables = new Int32Array(size);
  }

  private checkSlot(slot: number): void {
    if (!this.has(slot)) throw new MatcherError(MatcherErrorCode.UnknownSlot, `slot ${slot} is not live`);
  }

  /** True when table j < i would also report this candidate (its substring j is within t_j). */
  private foundEarlier(plan: Plan, i: number, base: number): boolean {
    for (let j = 0; j < i; j++) {
      const t = plan.tableRadius[j] ?? -1;
      if (t < 0) continue;
      if (popcount32((this.qChunks[j] ?? 0) ^ this.chunkOf(this.hashes, base, j)) <= t) return true;
    }
    return false;
  }

  private chunkOf(words: Uint32Array, base: number, i: number): number {
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
    const hashes = new Uint32Array(cap * WORDS);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const live = new Uint8Array(cap);
    live.set(this.live);
    this.live = live;
    this.next = this.next.map((n) => {
      const g = new Int32Array(cap);
      g.set(n);
      return g;
    });
    this.capacity = cap;
  }

  /** Keeps tables at load factor <= 1 until they reach direct addressing (2^len heads). */
  private maybeGrowHeads(): void {
    for (let i = 0; i < this.m; i++) {
      const k = this.headBits[i] ?? 0;
      const len = this.chunkLen[i] ?? 0;
      if (k >= len || this.liveCount <= 2 ** k) continue;
      let nk = k;
      while (nk < len && 2 ** nk < this.liveCount * 2) nk++;
      this.rehashTable(i, nk);
    }
  }

  private rehashTable(i: number, bits: number): void {
    this.headBits[i] = bits;
    const heads = new Int32Array(2 ** bits).fill(EMPTY);
    const next = this.next[i] as Int32Array;
    for (let s = 0; s < this.highWater; s++) {
      if (this.live[s] !== 1) continue;
      const b = this.bucketOf(i, this.chunkOf(this.hashes, s * WORDS, i));
      next[s] = heads[b] ?? EMPTY;
      heads[b] = s;
    }
    this.heads[i] = heads;
  }
}
