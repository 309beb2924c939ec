import { popcount32 } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { BITS, MIN_HEAD_BITS, WORDS, probePlan, validChunkBits } from './hamming-layout.js';
import type { HammingIndexOptions, ProbePlan } from './hamming-layout.js';
import { HammingTables } from './hamming-tables.js';
import { SearchHits } from './search-hits.js';
import { ByteWriter, openSnapshot, sealSnapshot } from './snapshot-bytes.js';
import type { StreamReader, StreamWriter } from './snapshot-stream.js';
import { MAX_SLOTS, SlotAllocator } from './slot-allocator.js';

/**
 * Records touched before they are worked on: enough loads in flight to cover memory latency, few enough that the
 * lines are still in L1 (and their pages in the TLB) when the block is verified.
 */
const BLOCK = 64;
const SNAPSHOT_MAGIC = 'MODHAMIX';
const SNAPSHOT_VERSION = 1;
/** Streamed form (`writeTo` / `readFrom`): the whole state, tables included, so loading is one read. */
const STREAM_MAGIC = 'MODHAMST';
/** 2: substring lengths are written (1 derived them from m). */
const STREAM_VERSION = 2;

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
 * The storage (records, tables, add and remove) is {@link HammingTables}; this is the search over it and its
 * snapshots.
 */
export class HammingIndex extends HammingTables {
  private readonly plans = new Map<number, ProbePlan>();
  private readonly qChunks: Int32Array;
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
    super(options);
    this.qChunks = new Int32Array(this.m);
  }

  /** Convenience search by hex: every entry within `radius`, as fresh objects sorted by distance then slot. */
  search(hex: string, radius: number): { slot: number; distance: number }[] {
    this.parseQuery(hex);
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
    const liveCount = this.slots.liveCount;
    if (liveCount === 0) return 0;
    const plan = this.planFor(radius);
    if (plan.scanOnly || plan.probes > liveCount) return this.scan(query, offset, radius, hits);

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
    const live = this.slots.live;
    const end = this.slots.highWater;
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
    }
    index.slots.markFirstLive(n);
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
    w.u64(this.slots.highWater);
    w.u64(this.slots.liveCount);
    for (let i = 0; i < this.m; i++) w.u32(this.headBits[i] ?? 0);
    for (const h of this.heads) await w.array(h);
    await w.array(this.rec.subarray(0, this.slots.highWater * this.stride));
    await this.slots.writeTo(w);
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
    if (!validChunkBits(chunkBits)) r.corrupt('has invalid substring lengths');
    const highWater = await r.u64();
    const liveCount = await r.u64();
    if (highWater > MAX_SLOTS || liveCount > highWater) r.corrupt('has invalid counts');
    const index = new HammingIndex({ chunkBits, capacity: 0 });
    const capacity = Math.max(16, highWater, options.capacity ?? 0);
    for (let i = 0; i < m; i++) {
      const k = await r.u32();
      if (k < MIN_HEAD_BITS || k > (index.chunkLen[i] ?? 0)) r.corrupt('has an invalid table size');
      index.headBits[i] = k;
    }
    for (let i = 0; i < m; i++) {
      index.heads[i] = await r.array((n) => new Int32Array(n), { expected: 2 ** (index.headBits[i] ?? 0) });
    }
    index.rec = new Int32Array(capacity * index.stride);
    await r.array((n) => new Int32Array(n), { expected: highWater * index.stride, into: index.rec });
    index.slots = await SlotAllocator.readFrom(r, { highWater, liveCount, capacity });
    return index;
  }

  private ensureFrontier(size: number): void {
    if (this.frontSlots.length >= size) return;
    this.frontSlots = new Int32Array(size);
    this.frontKeys = new Int32Array(size);
    this.backSlots = new Int32Array(size);
    this.backKeys = new Int32Array(size);
  }

  /** True when table j < i would also report this candidate (its substring j is within t_j). */
  private foundEarlier(plan: ProbePlan, i: number, base: number): boolean {
    for (let j = 0; j < i; j++) {
      const t = plan.tableRadius[j] ?? -1;
      if (t < 0) continue;
      if (popcount32((this.qChunks[j] ?? 0) ^ this.chunkOf(this.rec, base, j)) <= t) return true;
    }
    return false;
  }

  private planFor(radius: number): ProbePlan {
    const cached = this.plans.get(radius);
    if (cached) return cached;
    const plan = probePlan(this.chunkLen, radius);
    this.plans.set(radius, plan);
    return plan;
  }
}
