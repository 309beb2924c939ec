/**
 * Which lines of a bank list may repeat an earlier line's signal and value, in memory of a fixed size whatever
 * the list's length: a blocked Bloom filter (each pair sets 8 bits of one 64-byte block, so a test costs one cache
 * miss). It never calls a repeated pair new; it calls a new pair a candidate by chance, the more often the more
 * pairs it has seen. The import stages each line with its answer, and the database decides exactly, looking only
 * at the pairs of candidate lines (`importBankEntries`): this filter only spares the database a sort of the whole
 * list when no line, or few, may repeat.
 *
 * With the default 128 MiB, about 1 new pair in 2,000 is a candidate at 60M pairs, 1 in 140 at 100M, 1 in 7 at
 * 200M (the database then checks more pairs, still exactly). The filter's pages become resident only as pairs
 * land in them: a list of a thousand lines touches a thousand pages at most.
 */
export class DuplicateCandidates {
  private readonly words: Uint32Array;
  /** Blocks - 1; blocks are 16 words (512 bits), a power of two of them. */
  private readonly blockMask: number;

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
    // Two 32-bit hashes of the signal, a separator and the value: FNV-1a and a multiply-rotate, each finished
    // with murmur3's mix. The first picks the block, the second the bits in it.
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < signal.length; i++) {
      const ch = signal.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      b ^= b >>> 13;
    }
    a = Math.imul(a ^ 0x3a, 0x01000193);
    for (let i = 0; i < value.length; i++) {
      const ch = value.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      b ^= b >>> 13;
    }
    const base = (fmix32(a) & this.blockMask) << 4;
    let x = fmix32(b ^ value.length);
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
