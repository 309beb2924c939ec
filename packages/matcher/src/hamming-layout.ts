import { MatcherError, MatcherErrorCode } from './errors.js';
import { MAX_SLOTS } from './slot-allocator.js';

/**
 * How the Hamming index cuts a 256-bit hash into substrings, how large its head arrays are, and which buckets a
 * search at a given radius probes (see README, "Index design").
 */

/** Words (32-bit) per 256-bit hash. */
export const WORDS = 8;
export const BITS = 256;
/** Largest per-table probe radius before a full scan is cheaper (C(29,5) probes would be ~118k). */
const MAX_TABLE_RADIUS = 4;
export const MIN_HEAD_BITS = 6;
/**
 * Above this capacity the default is m = 10 (see `chunks`): its heads then reach 2^27, so every table is directly
 * addressed (hashed heads lose the probes' page locality: measured, m = 10 is slower than 11 at 30M, faster at 40M).
 */
const LARGE_CAPACITY = 2 ** 25;
export const MIN_CHUNK_BITS = 4;
export const MAX_CHUNK_BITS = 30;

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

/** True when `lengths` are valid substring lengths: each in range, together the whole hash. */
export function validChunkBits(lengths: readonly number[]): boolean {
  return (
    lengths.every((b) => Number.isInteger(b) && b >= MIN_CHUNK_BITS && b <= MAX_CHUNK_BITS) &&
    lengths.reduce((a, b) => a + b, 0) === BITS
  );
}

/** The substring lengths `options` ask for (validated), and the capacity; throws `MOD_ERR_MATCHER_BAD_ARGUMENT`. */
export function chunkLayout(options: HammingIndexOptions): { capacity: number; lengths: readonly number[] } {
  const capacity = options.capacity ?? 1024;
  const bits = options.chunkBits;
  const m = bits?.length ?? options.chunks ?? (capacity > LARGE_CAPACITY ? 10 : 11);
  if (!Number.isInteger(m) || m < 9 || m > 32) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `chunks must be an integer in 9..32, got ${m}`);
  }
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_SLOTS) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `capacity must be an integer in 0..2^31-1`);
  }
  if (options.chunks !== undefined && bits !== undefined && options.chunks !== bits.length) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `chunks and chunkBits disagree`);
  }
  const lengths = bits ?? defaultChunkBits(m);
  if (!validChunkBits(lengths)) {
    throw new MatcherError(
      MatcherErrorCode.BadArgument,
      `chunkBits must be integers in ${MIN_CHUNK_BITS}..${MAX_CHUNK_BITS} summing to ${BITS}`,
    );
  }
  return { capacity, lengths };
}

/**
 * Head array bits for `entries`: load factor at most 1/2 (a table reaches direct addressing, one head per substring
 * value, once its substring has at most that many bits: at 60M entries every substring of up to 27 bits).
 */
export function headBitsFor(entries: number): number {
  return Math.max(MIN_HEAD_BITS, Math.min(30, Math.ceil(Math.log2(Math.max(2, entries * 2)))));
}

/** Per-radius probe plan: each table's substring radius (-1 = table not probed) and its flip masks. */
export interface ProbePlan {
  readonly radius: number;
  readonly tableRadius: Int32Array;
  readonly masks: readonly (Int32Array | null)[];
  /** True when some table radius exceeds MAX_TABLE_RADIUS: only a scan is sensible. */
  readonly scanOnly: boolean;
  readonly probes: number;
}

/** The probe plan for `radius` over tables of these substring lengths (generalised pigeonhole principle). */
export function probePlan(chunkLen: Int32Array, radius: number): ProbePlan {
  const m = chunkLen.length;
  // Thresholds summing to >= r - m + 1 (a threshold of -1 skips the table).
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
      const mk = flipMasks(chunkLen[i] ?? 0, t);
      probes += mk.length;
      masks.push(mk);
    }
  }
  return { radius, tableRadius, masks, scanOnly, probes };
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
