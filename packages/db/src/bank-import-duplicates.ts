/**
 * Which lines of a bank list may repeat an earlier line's signal and value, in memory of a fixed size whatever
 * the list's length: a blocked Bloom filter (each pair sets 8 bits of one 64-byte block, so a test costs one cache
 * miss). It never calls a repeated pair new; it calls a new pair a candidate by chance, the more often the more
 * pairs it has seen. The import stages each line with its answer, and the database decides exactly, looking only
 * at the pairs of candidate lines (`importBankEntries`): this filter only spares the database a sort of the whole
 * list when no line, or few, may repeat.
 *
 * With the default 128 MiB, a list of distinct pairs has about 1 candidate line in 13,000 at 60M lines (measured
 * on a filter 128 times smaller with 128 times fewer lines), 1 in 870 at 100M, 1 in 36 at 200M: the database
 * then checks more pairs, still exactly. The filter's pages become resident only as pairs land in them: a
 * list of a thousand lines touches a thousand pages at most.
 */
export class DuplicateCandidates {
  private readonly words: Uint32Array;
  /** Blocks - 1; blocks are 16 words (512 bits), a power of two of them. */
  private readonly blockMask: number;
  /** A batch's first word of each pair's block, and the seed of its bits. */
  private bases = new Int32Array(1024);
  private seeds = new Int32Array(1024);
  private touched = 0;

  /**
   * `bytes`: the filter's size, a power of two from 64 (one block) to 2^31; 0: no filter, every pair is a
   * candidate (the database checks them all).
   */
  constructor(bytes: number = DUPLICATE_FILTER_BYTES) {
    if (
      bytes !== 0 &&
      (!Number.isInteger(bytes) || bytes < 64 || bytes > 2 ** 31 || (bytes & (bytes - 1)) !== 0)
    )
      throw new RangeError('the duplicate filter size must be 0 or a power of two from 64 bytes to 2 GiB');
    this.words = new Uint32Array(bytes / 4);
    this.blockMask = bytes / 64 - 1;
  }

  /** Records `signal` and `value`; true when they may have been recorded before (always when they were). */
  testAndAdd(signal: string, value: string): boolean {
    if (this.blockMask < 0) return true;
    this.hash(0, signal, value);
    return this.testAndAddHashed(0);
  }

  /**
   * {@link testAndAdd} for each pair of a batch, in order (a pair repeated within the batch is a candidate the
   * second time); `candidates[i]` is set to 1 or 0. Faster than one by one: all the blocks are read first, so
   * the memory fetches (a TLB and a cache miss each, the filter being far larger than the caches) overlap.
   * Returns how many are candidates.
   */
  testAndAddAll(signals: readonly string[], values: readonly string[], candidates: Uint8Array): number {
    const n = values.length;
    if (this.blockMask < 0) {
      candidates.fill(1, 0, n);
      return n;
    }
    if (this.bases.length < n) {
      this.bases = new Int32Array(n);
      this.seeds = new Int32Array(n);
    }
    for (let i = 0; i < n; i++) this.hash(i, signals[i] as string, values[i] as string);
    const words = this.words;
    const bases = this.bases;
    let touched = 0;
    for (let i = 0; i < n; i++) touched ^= words[bases[i] as number] as number;
    // Kept, so that the reads are not optimised away.
    this.touched ^= touched;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const c = this.testAndAddHashed(i) ? 1 : 0;
      candidates[i] = c;
      count += c;
    }
    return count;
  }

  /**
   * Two 32-bit hashes of the signal, a separator and the value (FNV-1a and a multiply-xorshift, four characters
   * a step, each finished with murmur3's mix): the first picks the block, the second seeds the bits in it.
   */
  private hash(slot: number, signal: string, value: string): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < signal.length; i++) {
      const ch = signal.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      b ^= b >>> 13;
    }
    a = Math.imul(a ^ 0x3a, 0x01000193);
    const n = value.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const w =
        value.charCodeAt(i) |
        (value.charCodeAt(i + 1) << 8) |
        (value.charCodeAt(i + 2) << 16) |
        (value.charCodeAt(i + 3) << 24);
      a = Math.imul(a ^ w, 0x01000193);
      a ^= a >>> 15;
      b = Math.imul(b ^ w, 0x5bd1e995);
      b ^= b >>> 13;
    }
    for (; i < n; i++) {
      const ch = value.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      b ^= b >>> 13;
    }
    this.bases[slot] = (fmix32(a) & this.blockMask) << 4;
    this.seeds[slot] = fmix32(b ^ n);
  }

  /** Sets the 8 bits of a hashed pair in its block; true when all were set already. */
  private testAndAddHashed(slot: number): boolean {
    const base = this.bases[slot] as number;
    let x = (this.seeds[slot] as number) >>> 0;
    let seen = true;
    const words = this.words;
    for (let k = 0; k < 8; k++) {
      // Nine bits a probe: the bit in the 512-bit block. Each probe re-mixes x.
      const bit = x & 511;
      const w = base + (bit >>> 5);
      const mask = 1 << (bit & 31);
      const old = words[w] as number;
      if ((old & mask) === 0) {
        seen = false;
        words[w] = old | mask;
      }
      x = fmix32(x + 0x9e3779b9);
    }
    return seen;
  }
}

/** Default size of {@link DuplicateCandidates}: 128 MiB. */
export const DUPLICATE_FILTER_BYTES = 2 ** 27;

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
