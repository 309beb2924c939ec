import { bmvbhash, bmvbhashEven } from 'blockhash-core';
import type { RawImage } from './images.js';
import { feedRowRunSums } from './row-sums.js';
import type { RowRunSums } from './row-sums.js';

/**
 * blockhash methods: `precise` (blockhash-js method 2 / python default: fractional pixel weights across block
 * boundaries) and `quick` (method 1 / `--quick`: whole blocks, remainder pixels ignored).
 */
export const BlockhashMethod = { PRECISE: 'precise', QUICK: 'quick' } as const;
export type BlockhashMethod = (typeof BlockhashMethod)[keyof typeof BlockhashMethod];

/**
 * blockhash with the results of blockhash-core (the reference JavaScript implementation, which agrees with
 * blockhash-python on the published test images), computed faster. `bits` is the grid side: 16 gives the usual
 * 256-bit hash, 8 a 64-bit one. Pixels are RGB (opaque) or RGBA; fully transparent pixels count as white.
 *
 * Why the fast path gives identical hashes: when `bits` is a power of two, every block width, weight and
 * partial sum in blockhash-core is a multiple of 1/bits² far below 2⁵³ of them, so its float64 arithmetic is
 * exact and the block sums do not depend on the order of additions. We sum integers (weights × bits) over
 * runs of pixels that share their blocks and weights, and divide by bits² once, which gives the same doubles;
 * median and thresholding are the reference's code. Other grid sizes use blockhash-core itself. The tests
 * compare both on real and random images.
 */
export function blockhash(
  image: RawImage,
  bits = 16,
  method: BlockhashMethod = BlockhashMethod.PRECISE,
): string {
  if (image.channels !== 3 && image.channels !== 4)
    throw new RangeError('blockhash needs RGB or RGBA pixels');
  if (!Number.isInteger(bits) || bits < 2 || bits % 2 !== 0)
    throw new RangeError('bits must be an even integer ≥ 2');
  const accumulator = blockhashAccumulator(image.width, image.height, bits, method);
  if (accumulator === null) return blockhashCore(image, bits, method);
  feedRowRunSums(image, accumulator);
  return accumulator.finish();
}

/**
 * Block sums built row by row from per-run pixel sums (see `blockhash` for why the result equals
 * blockhash-core's): the rows may come from JavaScript (`feedRowRunSums`) or from the PDQ engine's pass over
 * the pixels.
 */
export class BlockhashAccumulator implements RowRunSums {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  private readonly scaled: Float64Array;
  private readonly band: Float64Array;
  /** Per row: blocks and weights of the two block rows it feeds (first = −1: the row is not used). */
  private readonly rowFirst: Int32Array;
  private readonly rowFirstWeight: Int32Array;
  private readonly rowSecond: Int32Array;
  private readonly rowSecondWeight: Int32Array;
  /**
   * Run sums of consecutive rows that feed the same block rows with the same weights (inside a block row,
   * nearly every row), added up before they are spread over the blocks: whole numbers below 2⁵³ as long as
   * 765 · pixels · bits² is (up to 2.8·10⁹ pixels at 64 bits), so the sums stay exact in any order.
   */
  private readonly pending: Float64Array;
  /** A row whose block rows and weights the pending sums share; −1 when nothing is pending. */
  private pendingRow = -1;

  constructor(
    private readonly bits: number,
    private readonly xs: Runs,
    ys: Runs,
    height: number,
    private readonly scale: number,
    private readonly pixelsPerBlock: number,
  ) {
    this.starts = xs.start.slice(0, xs.count);
    this.ends = xs.end.slice(0, xs.count);
    this.scaled = new Float64Array(bits * bits);
    this.band = new Float64Array(bits);
    this.pending = new Float64Array(xs.count);
    this.rowFirst = new Int32Array(height).fill(-1);
    this.rowFirstWeight = new Int32Array(height);
    this.rowSecond = new Int32Array(height);
    this.rowSecondWeight = new Int32Array(height);
    for (let k = 0; k < ys.count; k++) {
      for (let y = ys.start[k]!; y < ys.end[k]!; y++) {
        this.rowFirst[y] = ys.blockA[k]!;
        this.rowFirstWeight[y] = ys.weightA[k]!;
        this.rowSecond[y] = ys.blockB[k]!;
        this.rowSecondWeight[y] = ys.weightB[k]!;
      }
    }
  }

  addRow(y: number, sums: ArrayLike<number>, offset: number): void {
    if (this.rowFirst[y]! < 0) return;
    if (this.pendingRow >= 0 && !this.sameBlockRows(this.pendingRow, y)) this.flush();
    const pending = this.pending;
    for (let k = 0; k < pending.length; k++) pending[k] = pending[k]! + sums[offset + k]!;
    this.pendingRow = y;
  }

  private sameBlockRows(a: number, b: number): boolean {
    return (
      this.rowFirst[a] === this.rowFirst[b] &&
      this.rowFirstWeight[a] === this.rowFirstWeight[b] &&
      this.rowSecond[a] === this.rowSecond[b] &&
      this.rowSecondWeight[a] === this.rowSecondWeight[b]
    );
  }

  /** Spreads the pending run sums over the blocks of their block rows. */
  private flush(): void {
    const y = this.pendingRow;
    if (y < 0) return;
    const { band, xs, bits, scaled, pending } = this;
    band.fill(0);
    for (let k = 0; k < xs.count; k++) {
      const t = pending[k]!;
      const a = xs.blockA[k]!;
      band[a] = band[a]! + t * xs.weightA[k]!;
      const wb = xs.weightB[k]!;
      if (wb !== 0) band[xs.blockB[k]!] = band[xs.blockB[k]!]! + t * wb;
    }
    const top = this.rowFirst[y]! * bits;
    const wTop = this.rowFirstWeight[y]!;
    const bottom = this.rowSecond[y]! * bits;
    const wBottom = this.rowSecondWeight[y]!;
    for (let b = 0; b < bits; b++) {
      scaled[top + b] = scaled[top + b]! + band[b]! * wTop;
      if (wBottom !== 0) scaled[bottom + b] = scaled[bottom + b]! + band[b]! * wBottom;
    }
    pending.fill(0);
    this.pendingRow = -1;
  }

  /** The hash, once every row was added. */
  finish(): string {
    this.flush();
    const blocks = this.scaled.map((v) => v / this.scale);
    return bitsToHex(thresholdBlocks(blocks, this.pixelsPerBlock));
  }
}

/**
 * The accumulator for a `width × height` image, or null when the fast path does not apply (grid size not a
 * power of two ≤ 64, or weights that are not whole multiples of 1/bits): use blockhash-core then.
 */
export function blockhashAccumulator(
  width: number,
  height: number,
  bits: number,
  method: BlockhashMethod,
): BlockhashAccumulator | null {
  const powerOfTwo = (bits & (bits - 1)) === 0 && bits <= 64;
  if (!powerOfTwo) return null;
  if (method === BlockhashMethod.QUICK || (width % bits === 0 && height % bits === 0)) {
    const pixelsPerBlock = Math.floor(width / bits) * Math.floor(height / bits);
    return new BlockhashAccumulator(
      bits,
      evenRuns(width, bits),
      evenRuns(height, bits),
      height,
      1,
      pixelsPerBlock,
    );
  }
  const xRuns = preciseRuns(width, bits);
  const yRuns = preciseRuns(height, bits);
  if (xRuns === null || yRuns === null) return null;
  const pixelsPerBlock = (width / bits) * (height / bits);
  return new BlockhashAccumulator(bits, xRuns, yRuns, height, bits * bits, pixelsPerBlock);
}

/** blockhash-core itself (needs RGBA). */
function blockhashCore(image: RawImage, bits: number, method: BlockhashMethod): string {
  const data = { width: image.width, height: image.height, data: toRgba(image).data };
  return method === BlockhashMethod.QUICK ? bmvbhashEven(data, bits) : bmvbhash(data, bits);
}

function toRgba(image: RawImage): RawImage {
  if (image.channels === 4) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    data[p * 4] = image.data[p * 3]!;
    data[p * 4 + 1] = image.data[p * 3 + 1]!;
    data[p * 4 + 2] = image.data[p * 3 + 2]!;
    data[p * 4 + 3] = 255;
  }
  return { data, width: image.width, height: image.height, channels: 4 };
}

/**
 * Along one axis, consecutive pixels that feed the same blocks with the same integer weights: pixels
 * [start[k], end[k]) add weightA[k] × value to block blockA[k] and weightB[k] × value to block blockB[k].
 */
interface Runs {
  count: number;
  start: Int32Array;
  end: Int32Array;
  blockA: Int32Array;
  weightA: Int32Array;
  blockB: Int32Array;
  weightB: Int32Array;
}

function runsFrom(size: number, pixel: (i: number) => [number, number, number, number] | null): Runs {
  const r: Runs = {
    count: 0,
    start: new Int32Array(size),
    end: new Int32Array(size),
    blockA: new Int32Array(size),
    weightA: new Int32Array(size),
    blockB: new Int32Array(size),
    weightB: new Int32Array(size),
  };
  for (let i = 0; i < size; i++) {
    const w = pixel(i);
    if (w === null) continue;
    const [a, wa, b, wb] = w;
    const k = r.count - 1;
    const extends_ =
      k >= 0 &&
      r.end[k] === i &&
      r.blockA[k] === a &&
      r.weightA[k] === wa &&
      r.blockB[k] === b &&
      r.weightB[k] === wb;
    if (extends_) {
      r.end[k] = i + 1;
    } else {
      r.start[r.count] = i;
      r.end[r.count] = i + 1;
      r.blockA[r.count] = a;
      r.weightA[r.count] = wa;
      r.blockB[r.count] = b;
      r.weightB[r.count] = wb;
      r.count++;
    }
  }
  return r;
}

/** Quick method: whole blocks of floor(size / bits) pixels, weight 1; the remainder pixels are ignored. */
function evenRuns(size: number, bits: number): Runs {
  return memoised(`even ${size} ${bits}`, () => computeEvenRuns(size, bits))!;
}

function computeEvenRuns(size: number, bits: number): Runs {
  const blockSize = Math.floor(size / bits);
  return runsFrom(size, (i) => (i < blockSize * bits ? [Math.floor(i / blockSize), 1, 0, 0] : null));
}

/**
 * Precise method: blockhash-core's blocks and weights for each pixel, with weights × bits (integers, see
 * `blockhash`). A pixel whose two parts go to the same block is given its whole weight there. Null when a
 * weight is not a whole multiple of 1/bits or a block falls outside the grid (blockhash-core would crash):
 * the caller then uses blockhash-core.
 */
function preciseRuns(size: number, bits: number): Runs | null {
  return memoised(`precise ${size} ${bits}`, () => computePreciseRuns(size, bits));
}

/** Runs depend only on (size, bits): a scanner sees the same few image sizes again and again. */
const runsCache = new Map<string, Runs | null>();
function memoised(key: string, compute: () => Runs | null): Runs | null {
  const hit = runsCache.get(key);
  if (hit !== undefined) return hit;
  if (runsCache.size >= 256) runsCache.clear();
  const runs = compute();
  runsCache.set(key, runs);
  return runs;
}

function computePreciseRuns(size: number, bits: number): Runs | null {
  const even = size % bits === 0;
  const blockSize = size / bits;
  let exact = true;
  const runs = runsFrom(size, (i) => {
    let a: number;
    let b: number;
    let weightA: number;
    let weightB: number;
    if (even) {
      a = b = Math.floor(i / blockSize);
      weightA = 1;
      weightB = 0;
    } else {
      const mod = (i + 1) % blockSize;
      const frac = mod - Math.floor(mod);
      const int = mod - frac;
      weightA = 1 - frac;
      weightB = frac;
      if (int > 0 || i + 1 === size) {
        a = b = Math.floor(i / blockSize);
      } else {
        a = Math.floor(i / blockSize);
        b = Math.ceil(i / blockSize);
      }
    }
    if (a >= bits || b >= bits || !Number.isInteger(weightA * bits) || !Number.isInteger(weightB * bits))
      exact = false;
    return a === b ? [a, bits, 0, 0] : [a, weightA * bits, b, weightB * bits];
  });
  return exact ? runs : null;
}

/** blockhash-core's `translateBlocksToBits`: one bit per block, against the median of its horizontal band. */
function thresholdBlocks(blocks: Float64Array, pixelsPerBlock: number): Uint8Array {
  const halfBlockValue = (pixelsPerBlock * 256 * 3) / 2;
  const bandSize = blocks.length / 4;
  const out = new Uint8Array(blocks.length);
  for (let i = 0; i < 4; i++) {
    const band = blocks.slice(i * bandSize, (i + 1) * bandSize).sort();
    const m =
      bandSize % 2 === 0
        ? (band[bandSize / 2 - 1]! + band[bandSize / 2]!) / 2.0
        : band[Math.floor(bandSize / 2)]!;
    for (let j = i * bandSize; j < (i + 1) * bandSize; j++) {
      const v = blocks[j]!;
      out[j] = v > m || (Math.abs(v - m) < 1 && m > halfBlockValue) ? 1 : 0;
    }
  }
  return out;
}

function bitsToHex(bitArray: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bitArray.length; i += 4) {
    hex += (
      (bitArray[i]! << 3) |
      (bitArray[i + 1]! << 2) |
      (bitArray[i + 2]! << 1) |
      bitArray[i + 3]!
    ).toString(16);
  }
  return hex;
}
