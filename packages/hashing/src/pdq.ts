/**
 * PDQ perceptual hash (Meta, 2017), written from the published algorithm and its reference implementation
 * (facebook/ThreatExchange `pdq/cpp`): float luminance, two passes of a Jarosz box filter (a tent filter),
 * decimation to 64×64, the 16×16 corner of a 64×64 DCT-II, thresholding at the median, and the image-domain
 * quality metric. The plain JavaScript implementation below rounds to float32 at the same points as the C++
 * reference and agrees with it bit for bit; it is the fallback and the tests' reference. The engine used in
 * production (`WasmPdq`, on the WebAssembly kernels of `pdq-kernels.ts`) computes the same linear filter as
 * separable weights, which rounds differently: its 64×64 buffers are closer to the exact (float64) filter than
 * the reference's float32 running sums are, and its hashes and qualities equal the reference's on every
 * conformance and test image. Pure functions over plain arrays: no decoding, no I/O.
 */

import { createPdqKernels } from './pdq-kernels.js';
import type { PdqKernels } from './pdq-kernels.js';
import { feedRowRunSums } from './row-sums.js';
import type { RowRunSums } from './row-sums.js';

const f = Math.fround;

/** The reference uses float luma coefficients (ITU-R BT.601 "Y"). */
const LUMA_R = f(0.299);
const LUMA_G = f(0.587);
const LUMA_B = f(0.114);

/** Images smaller than this on either side hash to all zeros with quality 0, as in the reference. */
export const PDQ_MIN_HASHABLE_DIM = 5;

/** Meta's recommended match threshold (Hamming distance, inclusive) and quality floor. */
export const PDQ_MATCH_DISTANCE = 31;
export const PDQ_MIN_QUALITY = 50;

/** 16×64 DCT-II basis rows 1..16 (row 0, the DC term, is not used), scaled by sqrt(2/64), stored as float32. */
const DCT_MATRIX: Float32Array = (() => {
  const m = new Float32Array(16 * 64);
  const scale = f(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      m[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

/** The DCT matrix transposed (64×16), for the vectorised second product. */
const DCT_MATRIX_T: Float32Array = (() => {
  const t = new Float32Array(64 * 16);
  for (let i = 0; i < 16; i++) for (let j = 0; j < 64; j++) t[j * 16 + i] = DCT_MATRIX[i * 64 + j]!;
  return t;
})();

/** A decoded image as interleaved 8-bit samples (1 to 4 channels; the first three are R, G, B when ≥ 3). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Float luminance, row-major `height × width`. */
export interface LumaImage {
  luma: Float32Array;
  width: number;
  height: number;
}

/** The 16×16 DCT output (row-major) and the quality metric: the input to the 8 dihedral hashes. */
export interface PdqDct {
  dct: Float32Array;
  quality: number;
}

export interface PdqResult {
  hash: string;
  quality: number;
}

/** f32(coefficient × v) for every 8-bit sample v: exactly the products the reference rounds to float. */
const lumaTable = (coefficient: number): Float64Array =>
  Float64Array.from({ length: 256 }, (_, v) => f(coefficient * v));
const LUMA_R_TABLE = lumaTable(LUMA_R);
const LUMA_G_TABLE = lumaTable(LUMA_G);
const LUMA_B_TABLE = lumaTable(LUMA_B);

/**
 * Luminance of each pixel: Y = 0.299 R + 0.587 G + 0.114 B for colour, the sample itself for grey (1-2
 * channels). Any alpha channel is ignored, as the reference tools ignore it. Float32 rounding after each
 * product and sum, as the reference (the products come from exact tables; the last rounding is the store).
 */
export function lumaFromRaw(image: RawImage): LumaImage {
  const { data, width, height, channels } = image;
  const n = width * height;
  const luma = new Float32Array(n);
  if (channels >= 3) {
    const tr = LUMA_R_TABLE;
    const tg = LUMA_G_TABLE;
    const tb = LUMA_B_TABLE;
    for (let p = 0, o = 0; p < n; p++, o += channels) {
      luma[p] = f(tr[data[o]!]! + tg[data[o + 1]!]!) + tb[data[o + 2]!]!;
    }
  } else {
    for (let p = 0, o = 0; p < n; p++, o += channels) luma[p] = data[o]!;
  }
  return { luma, width, height };
}

/** Jarosz window per pass: ceil(dimension / 128), so that two passes cover one 64th of the image. */
export function jaroszWindowSize(dimension: number): number {
  return Math.floor((dimension + 127) / 128);
}

/**
 * 1/count for the box filter's divisions. For a float32 sum s and an integer count c < 2²⁶,
 * f32(s × (1/c)) computed in float64 equals the float32 division f32(s / c): the double product is within
 * 2⁻⁵¹ (relative) of s/c, while s/c is at least 2⁻²⁵/c (relative) away from any float32 rounding boundary
 * (s has 24 significant bits, so c × a 25-bit midpoint can never equal it). The test compares both.
 */
const reciprocal = (count: number): number => 1 / count;

/** Work buffers reused across calls (hashing is synchronous, so one set per thread is enough). */
class Scratch {
  private buffer = new Float32Array(0);
  get(length: number): Float32Array {
    if (this.buffer.length < length) this.buffer = new Float32Array(length);
    return this.buffer;
  }
}
const scratchA = new Scratch();
const scratchB = new Scratch();
const scratchColumns = new Scratch();
const scratchColumnsOut = new Scratch();
const scratchSums = new Scratch();

/**
 * The reference's one-dimensional box filter (window centred on each output, shrinking at the edges, in four
 * phases: accumulate, grow, slide, shrink) applied along every row, float32 running sums. Rows are processed
 * four at a time: each row's sum is one serial chain of float32 additions, so interleaving four independent
 * chains lets the CPU overlap them. Every row still sees exactly the reference's operations in its order.
 */
export function boxAlongRows(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
): void {
  const half = Math.floor((window + 2) / 2);
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = width - window;
  const phase4 = half - 1;
  const last = height - 1;
  for (let r = 0; r < height; r += 4) {
    // A last, partial group repeats the final row: it computes and writes the same values twice.
    const b0 = r * width;
    const b1 = Math.min(r + 1, last) * width;
    const b2 = Math.min(r + 2, last) * width;
    const b3 = Math.min(r + 3, last) * width;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let count = 0;
    let ri = 0;
    let li = 0;
    let oi = 0;
    for (let i = 0; i < phase1; i++, ri++) {
      count++;
      s0 = f(s0 + input[b0 + ri]!);
      s1 = f(s1 + input[b1 + ri]!);
      s2 = f(s2 + input[b2 + ri]!);
      s3 = f(s3 + input[b3 + ri]!);
    }
    for (let i = 0; i < phase2; i++, ri++, oi++) {
      count++;
      const inv = reciprocal(count);
      s0 = f(s0 + input[b0 + ri]!);
      s1 = f(s1 + input[b1 + ri]!);
      s2 = f(s2 + input[b2 + ri]!);
      s3 = f(s3 + input[b3 + ri]!);
      output[b0 + oi] = s0 * inv;
      output[b1 + oi] = s1 * inv;
      output[b2 + oi] = s2 * inv;
      output[b3 + oi] = s3 * inv;
    }
    const inv = reciprocal(count);
    for (let i = 0; i < phase3; i++, ri++, li++, oi++) {
      s0 = f(f(s0 + input[b0 + ri]!) - input[b0 + li]!);
      s1 = f(f(s1 + input[b1 + ri]!) - input[b1 + li]!);
      s2 = f(f(s2 + input[b2 + ri]!) - input[b2 + li]!);
      s3 = f(f(s3 + input[b3 + ri]!) - input[b3 + li]!);
      output[b0 + oi] = s0 * inv;
      output[b1 + oi] = s1 * inv;
      output[b2 + oi] = s2 * inv;
      output[b3 + oi] = s3 * inv;
    }
    for (let i = 0; i < phase4; i++, li++, oi++) {
      count--;
      const inv4 = reciprocal(count);
      s0 = f(s0 - input[b0 + li]!);
      s1 = f(s1 - input[b1 + li]!);
      s2 = f(s2 - input[b2 + li]!);
      s3 = f(s3 - input[b3 + li]!);
      output[b0 + oi] = s0 * inv4;
      output[b1 + oi] = s1 * inv4;
      output[b2 + oi] = s2 * inv4;
      output[b3 + oi] = s3 * inv4;
    }
  }
}

/**
 * The same filter applied down every column at once, row by row, so memory is read sequentially and the
 * columns' running sums are independent. Each column sees the reference's operations in its order, so the
 * float32 results are identical to the strided filter (the test compares both).
 */
export function boxAlongColumns(
  input: Float32Array,
  output: Float32Array,
  width: number,
  height: number,
  window: number,
): void {
  const half = Math.floor((window + 2) / 2);
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = height - window;
  const phase4 = half - 1;
  const sums = scratchSums.get(width).fill(0, 0, width);
  let li = 0;
  let ri = 0;
  let oi = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++, ri += width, count++) {
    for (let c = 0; c < width; c++) sums[c] = sums[c]! + input[ri + c]!;
  }
  for (let i = 0; i < phase2; i++, ri += width, oi += width) {
    count++;
    const inv = reciprocal(count);
    for (let c = 0; c < width; c++) {
      const s = f(sums[c]! + input[ri + c]!);
      sums[c] = s;
      output[oi + c] = s * inv;
    }
  }
  const inv = reciprocal(count);
  for (let i = 0; i < phase3; i++, ri += width, li += width, oi += width) {
    for (let c = 0; c < width; c++) {
      const s = f(f(sums[c]! + input[ri + c]!) - input[li + c]!);
      sums[c] = s;
      output[oi + c] = s * inv;
    }
  }
  for (let i = 0; i < phase4; i++, li += width, oi += width) {
    count--;
    const inv4 = reciprocal(count);
    for (let c = 0; c < width; c++) {
      const s = f(sums[c]! - input[li + c]!);
      sums[c] = s;
      output[oi + c] = s * inv4;
    }
  }
}

/** Centre of each of the 64 target cells along a dimension, as the reference's decimation computes it. */
function decimationIndices(dimension: number): Int32Array {
  const out = new Int32Array(64);
  for (let i = 0; i < 64; i++) out[i] = Math.trunc(((i + 0.5) * dimension) / 64);
  return out;
}

/**
 * The last (column) pass on the 64 sampled columns of `filtered` (the first three passes' result), then the
 * reference's decimation to the centre of each target cell. Columns are filtered independently, so filtering
 * only the sampled ones gives the same values as filtering all of them.
 */
function finishDownsample(filtered: Float32Array, width: number, height: number): Float32Array {
  const windowAlongCols = jaroszWindowSize(height);
  const cols = decimationIndices(width);
  const rows = decimationIndices(height);
  const picked = scratchColumns.get(64 * height);
  for (let y = 0; y < height; y++) {
    const from = y * width;
    const to = y * 64;
    for (let j = 0; j < 64; j++) picked[to + j] = filtered[from + cols[j]!]!;
  }
  const out64 = scratchColumnsOut.get(64 * height);
  boxAlongColumns(picked, out64, 64, height, windowAlongCols);
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) out.set(out64.subarray(rows[i]! * 64, rows[i]! * 64 + 64), i * 64);
  return out;
}

/** `downsampleTo64` in plain JavaScript (used where WebAssembly SIMD is unavailable; tests compare both). */
export function downsampleTo64Js(image: LumaImage): Float32Array {
  const { luma, width, height } = image;
  const windowAlongRows = jaroszWindowSize(width);
  const n = width * height;
  const a = scratchA.get(n);
  const b = scratchB.get(n);
  boxAlongRows(luma, a, width, height, windowAlongRows);
  boxAlongColumns(a, b, width, height, jaroszWindowSize(height));
  boxAlongRows(b, a, width, height, windowAlongRows);
  return finishDownsample(a, width, height);
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Wasm memory above which the engine is dropped after use, so one huge image does not pin its buffers. */
const KEEP_MEMORY_BYTES = 256 * 1024 * 1024;

/** Where the first pass reads its rows: decoded pixels (luma computed band by band) or a luma buffer. */
type Source = { image: RawImage } | { luma: number };

/** Rows of pixels converted to luma per step (the pixel band is copied into wasm memory at once). */
const BAND = 16;

/**
 * The Jarosz filter and decimation along one dimension of `n` samples, as weights: the reference's two box
 * passes (window `jaroszWindowSize(n)`, shrinking at the edges) followed by sampling at the centre of target
 * cell k make output k a weighted sum of the samples lo[k] .. lo[k] + length[k] − 1. Both passes are linear,
 * so the 64×64 buffer is Σ weightsY_i(y) · weightsX_j(x) · luma(x, y), separable. Weights are computed in
 * float64 (exact sums of 1/(count·count) terms) and rounded to float32 once.
 */
interface AxisWeights {
  lo: Int32Array;
  length: Int32Array;
  /** weights[k] has length[k] entries. */
  weights: Float32Array[];
  /** Per sample t: the first output whose support does not end before t (supports are in increasing order). */
  firstOutput: Int32Array;
}

const axisWeightsCache = new Map<number, AxisWeights>();

/** The `AxisWeights` of a dimension of `n` samples (kept for the last few sizes a thread has seen). */
function jaroszAxisWeights(n: number): AxisWeights {
  const cached = axisWeightsCache.get(n);
  if (cached !== undefined) return cached;
  const window = jaroszWindowSize(n);
  const half = Math.floor((window + 2) / 2);
  // The reference's box filter: output o averages the inputs from o − (window − half) to o + half − 1, clipped.
  const first = (o: number): number => Math.max(0, o - (window - half));
  const last = (o: number): number => Math.min(n - 1, o + half - 1);
  const lo = new Int32Array(64);
  const length = new Int32Array(64);
  const weights: Float32Array[] = [];
  const centres = decimationIndices(n);
  for (let k = 0; k < 64; k++) {
    const centre = centres[k]!;
    const [a, b] = [first(centre), last(centre)];
    const start = first(a);
    const end = last(b);
    // Second pass: 1/(b − a + 1) of each first-pass output r in [a, b], itself 1/count(r) of its inputs;
    // added up through a difference array, one range per r.
    const diff = new Float64Array(end - start + 2);
    for (let r = a; r <= b; r++) {
      const w = 1 / ((b - a + 1) * (last(r) - first(r) + 1));
      diff[first(r) - start]! += w;
      diff[last(r) - start + 1]! -= w;
    }
    const out = new Float32Array(end - start + 1);
    let run = 0;
    for (let t = 0; t < out.length; t++) out[t] = run += diff[t]!;
    lo[k] = start;
    length[k] = out.length;
    weights.push(out);
  }
  const firstOutput = new Int32Array(n);
  for (let t = 0, k = 0; t < n; t++) {
    while (k < 64 && lo[k]! + length[k]! <= t) k++;
    firstOutput[t] = k;
  }
  const result = { lo, length, weights, firstOutput };
  if (axisWeightsCache.size >= 8) axisWeightsCache.clear();
  axisWeightsCache.set(n, result);
  return result;
}

/**
 * The PDQ pipeline on the WebAssembly kernels, streamed through bands of rows so that the working set stays
 * in the CPU's cache. The Jarosz filter followed by decimation is linear and separable (`jaroszAxisWeights`),
 * so instead of filtering every pixel four times and keeping 64×64 samples, each row is added, weighted, into
 * the accumulator of the one or two output rows whose support it lies in (`lumaAxpy` from pixels, computing
 * luma on the way; `axpy` from luma: one multiply-add per pixel), and each of the 64 accumulators is then
 * reduced to its 64 outputs (`dots`). The mirror images come from the same pass with mirrored weights (a second
 * set of accumulators for the rows, a second table for the columns), and the transposed ones by transposing a
 * 64×64 buffer: all 8 dihedral hashes cost about 2 PDQs. These float32 weighted sums round differently from the
 * reference's float32 running sums: the engine's buffers stay within 6·10⁻⁵ (luma 0..255) of the exact filter,
 * the reference's within 4·10⁻³, and hashes and qualities equal the reference's on every conformance and test
 * image (see the tests, `bench/hashing` and `bench/pdq-agreement`).
 *
 * Memory: a band of pixels (copied in band by band, so the decoder's buffer is read once); 128 accumulator rows
 * (64 for the image, 64 for it mirrored top ↔ bottom); the weights of both axes (the columns' also mirrored);
 * a 64×64 buffer; the DCT's matrices; blockhash's runs and sums; and, for luma input, the whole luma image.
 * Every region has slack for the kernels' whole-vector reads and writes.
 */
class WasmPdq {
  private pixels = 0;
  private acc = 0;
  private rowWeights = 0;
  private colWeights = 0;
  private colTable = 0;
  private out64 = 0;
  private luma = 0;
  private dctIn = 0;
  private dctMatrix = 0;
  private dctMatrixT = 0;
  private dctTemp = 0;
  private dctOut = 0;
  private runStarts = 0;
  private runEnds = 0;
  private runOut = 0;
  private rowSums: RowRunSums | null = null;
  private width = 0;
  private height = 0;

  private byteView = new Uint8Array(0);
  private intView = new Int32Array(0);
  private floatView = new Float32Array(0);

  constructor(private readonly kernels: PdqKernels) {}

  /** Views of the whole memory, renewed when it grows (growing detaches the old buffer). */
  private bytes(): Uint8Array {
    const buffer = this.kernels.memory.buffer;
    if (this.byteView.buffer !== buffer) this.byteView = new Uint8Array(buffer);
    return this.byteView;
  }

  private ints(): Int32Array {
    const buffer = this.kernels.memory.buffer;
    if (this.intView.buffer !== buffer) this.intView = new Int32Array(buffer);
    return this.intView;
  }

  private floats(): Float32Array {
    const buffer = this.kernels.memory.buffer;
    if (this.floatView.buffer !== buffer) this.floatView = new Float32Array(buffer);
    return this.floatView;
  }

  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /**
   * Lays out the regions for a `width × height` image, growing memory when needed. `fullLuma`: also room
   * for a whole luma image (luma input). Room for the mirror images' accumulators and weights always.
   */
  prepare(width: number, height: number, fullLuma: boolean, rowSums: RowRunSums | null = null): void {
    const n = width * height;
    let at = 0;
    const take = (bytes: number): number => {
      const start = at;
      at += align16(bytes + 64);
      return start;
    };
    this.pixels = take(BAND * width * 4);
    this.acc = take(2 * 64 * align16(width * 4));
    // Σ length ≤ 64 · (2 · window − 1) ≤ n + 64 along a dimension of n; columns padded by up to 3 for whole
    // vectors, twice (mirrored).
    this.rowWeights = take((height + 64) * 4);
    this.colWeights = take(2 * (width + 64 + 3 * 64) * 4);
    this.colTable = take(2 * 64 * 12);
    this.out64 = take(64 * 64 * 4);
    this.luma = fullLuma ? take(n * 4) : 0;
    this.dctIn = take(64 * 64 * 4);
    this.dctMatrix = take(16 * 64 * 4);
    this.dctMatrixT = take(16 * 64 * 4);
    this.dctTemp = take(16 * 64 * 4);
    this.dctOut = take(16 * 16 * 4);
    const runs = rowSums?.starts.length ?? 0;
    this.runStarts = take(runs * 4);
    this.runEnds = take(runs * 4);
    this.runOut = take(BAND * runs * 4);
    const have = this.kernels.memory.buffer.byteLength;
    if (have < at) this.kernels.memory.grow(Math.ceil((at - have) / 65536));
    this.width = width;
    this.height = height;
    this.rowSums = rowSums;
    const memory = this.kernels.memory.buffer;
    new Float32Array(memory, this.dctMatrix, 16 * 64).set(DCT_MATRIX);
    new Float32Array(memory, this.dctMatrixT, 16 * 64).set(DCT_MATRIX_T);
    if (rowSums !== null) {
      new Int32Array(this.kernels.memory.buffer, this.runStarts, runs).set(rowSums.starts);
      new Int32Array(this.kernels.memory.buffer, this.runEnds, runs).set(rowSums.ends);
    }
  }

  /**
   * Copies up to BAND rows of `image` from `first` into the pixel band and returns how many; `feed`: also
   * hands their run sums to `rowSums` (blockhash), so that the pixels are read once for both hashes.
   */
  private copyBand(image: RawImage, first: number, feed: boolean): number {
    const rows = Math.min(BAND, image.height - first);
    const rowBytes = image.width * image.channels;
    const from = first * rowBytes;
    this.bytes().set(image.data.subarray(from, from + rows * rowBytes), this.pixels);
    const consumer = this.rowSums;
    if (feed && consumer !== null) {
      const count = consumer.starts.length;
      const args = [
        this.pixels,
        image.width,
        rows,
        this.runStarts,
        this.runEnds,
        count,
        this.runOut,
      ] as const;
      if (image.channels === 4) this.kernels.runSums4(...args);
      else this.kernels.runSums3(...args);
      const sums = this.ints();
      for (let r = 0; r < rows; r++) consumer.addRow(first + r, sums, (this.runOut >> 2) + r * count);
    }
    return rows;
  }

  /** The reference's float32 luma of the `rows` rows in the pixel band, written to `to`. */
  private lumaOfBand(image: RawImage, rows: number, to: number): void {
    if (image.channels === 4) this.kernels.luma4(this.pixels, to, rows * image.width);
    else this.kernels.luma3(this.pixels, to, rows * image.width);
  }

  loadLuma(luma: Float32Array): void {
    const n = this.width * this.height;
    new Float32Array(this.kernels.memory.buffer, this.luma, n).set(luma.subarray(0, n));
  }

  /**
   * Writes the weights of both axes into memory: the rows' weights, times `rowScale`, one output row after
   * another (returns each one's byte offset), the columns' as (lo, length, offset) entries for `dots`, each
   * moved left where needed so that its whole vectors end within the `width` samples rounded up to a vector;
   * then, at `colTable + 64 · 12`, the same for the columns mirrored (x → width − 1 − x).
   */
  private writeWeights(ky: AxisWeights, kx: AxisWeights, width: number, rowScale: number): Int32Array {
    const floats = this.floats();
    const ints = this.ints();
    const rowOffsets = new Int32Array(64);
    let at = this.rowWeights;
    for (let i = 0; i < 64; i++) {
      rowOffsets[i] = at;
      const weights = ky.weights[i]!;
      for (let t = 0; t < weights.length; t++) floats[(at >> 2) + t] = weights[t]! * rowScale;
      at += weights.length * 4;
    }
    const widthVectors = Math.ceil(width / 4) * 4;
    at = this.colWeights;
    for (let mirrored = 0; mirrored < 2; mirrored++) {
      for (let j = 0; j < 64; j++) {
        const length = kx.length[j]!;
        const weights = kx.weights[j]!;
        const first = mirrored ? width - kx.lo[j]! - length : kx.lo[j]!;
        const padded = Math.ceil(length / 4) * 4;
        const lo = Math.min(first, widthVectors - padded);
        const base = (at >> 2) + first - lo;
        floats.fill(0, at >> 2, (at >> 2) + padded);
        if (mirrored) for (let t = 0; t < length; t++) floats[base + t] = weights[length - 1 - t]!;
        else floats.set(weights, base);
        const entry = (this.colTable >> 2) + (mirrored * 64 + j) * 3;
        ints[entry] = lo * 4;
        ints[entry + 1] = padded * 4;
        ints[entry + 2] = at;
        at += padded * 4;
      }
    }
    return rowOffsets;
  }

  /**
   * The 64×64 buffer of `image` (or of the full luma when null) and, with `mirrors`, of its mirror images:
   * [image, columns mirrored (left ↔ right), rows mirrored (top ↔ bottom), both]. The reference copies a
   * 64×64 image unfiltered.
   */
  private buffers64(image: RawImage | null, mirrors: boolean): Float32Array[] {
    const k = this.kernels;
    const { width, height } = this;
    const source: Source = image === null ? { luma: this.luma } : { image };
    if (width === 64 && height === 64) {
      let luma: Float32Array;
      if ('luma' in source) {
        luma = new Float32Array(k.memory.buffer, source.luma, 64 * 64).slice();
      } else {
        for (let row = 0; row < 64; row += BAND) {
          const rows = this.copyBand(source.image, row, true);
          this.lumaOfBand(source.image, rows, this.out64 + row * 64 * 4);
        }
        luma = new Float32Array(k.memory.buffer, this.out64, 64 * 64).slice();
      }
      return mirrors ? [0, 1, 2, 3].map((m) => mirror64(luma, (m & 1) !== 0, (m & 2) !== 0)) : [luma];
    }
    const ky = jaroszAxisWeights(height);
    const kx = jaroszAxisWeights(width);
    // From pixels, lumaAxpy adds 1000 · luma: the row weights take the 1/1000.
    const rowOffsets = this.writeWeights(ky, kx, width, 'luma' in source ? 1 : 1 / 1000);
    const accStride = align16(width * 4);
    const accRows = mirrors ? 128 : 64; // accumulators 64..127: the rows mirrored (y → height − 1 − y)
    this.floats().fill(0, this.acc >> 2, (this.acc + accRows * accStride) >> 2);
    let srcRowBytes: number;
    let add: (src: number, dst: number, n: number, weight: number) => void;
    if ('luma' in source) {
      // The last row's whole-vector reads go past the image: keep them finite (0 · NaN would be NaN).
      this.floats().fill(0, (source.luma >> 2) + width * height, (source.luma >> 2) + width * height + 4);
      srcRowBytes = width * 4;
      add = k.axpy;
    } else {
      srcRowBytes = width * source.image.channels;
      add = source.image.channels === 4 ? k.lumaAxpy4 : k.lumaAxpy3;
    }
    /** Adds source row `from` (sample y of the weights) into the outputs whose support holds y. */
    const feed = (from: number, y: number, accBase: number): void => {
      for (let i = ky.firstOutput[y]!; i < 64 && ky.lo[i]! <= y; i++) {
        add(from, accBase + i * accStride, width, rowOffsets[i]! + (y - ky.lo[i]!) * 4);
      }
    };
    for (let row = 0; row < height; row += BAND) {
      let from: number;
      let rows: number;
      if ('luma' in source) {
        from = source.luma + row * srcRowBytes;
        rows = Math.min(BAND, height - row);
      } else {
        from = this.pixels;
        rows = this.copyBand(source.image, row, true);
      }
      for (let r = 0; r < rows; r++) {
        feed(from + r * srcRowBytes, row + r, this.acc);
        if (mirrors) feed(from + r * srcRowBytes, height - 1 - row - r, this.acc + 64 * accStride);
      }
    }
    const out: Float32Array[] = [];
    for (let m = 0; m < (mirrors ? 4 : 1); m++) {
      const accBase = this.acc + (m & 2 ? 64 * accStride : 0);
      const table = this.colTable + (m & 1 ? 64 * 12 : 0);
      k.dots(accBase, accStride, 64, table, this.out64);
      out.push(new Float32Array(k.memory.buffer, this.out64, 64 * 64).slice());
    }
    return out;
  }

  /** `dct64To16` on the kernels (same float32 operations in the same order). */
  dct(buffer64: Float32Array): Float32Array {
    const k = this.kernels;
    new Float32Array(k.memory.buffer, this.dctIn, 64 * 64).set(buffer64);
    k.dct(this.dctIn, this.dctMatrix, this.dctMatrixT, this.dctTemp, this.dctOut);
    return new Float32Array(k.memory.buffer, this.dctOut, 256).slice();
  }

  /** The 64×64 buffer of `image`, or of the full luma when no image is given. */
  plain(image: RawImage | null): Float32Array {
    return this.buffers64(image, false)[0]!;
  }

  /**
   * The plain 64×64 buffer of `image` (or of the full luma) and the hashes of its 8 dihedral transforms
   * (see `pdqDihedralFromLuma`), from one pass over the pixels. Callers handle images too small to hash.
   */
  withDihedral(image: RawImage | null): { plain: Float32Array; dihedral: string[] } {
    const mirrors = this.buffers64(image, true);
    const dihedral = PDQ_DIHEDRAL_ORDER.map((_, k) => {
      // Pixel (x, y) lands at origin + x·dx + y·dy: a negative step mirrors that axis, and a transposed
      // layout sends x along the transformed image's columns, so its 64×64 buffer is the transpose.
      const { dx, dy, transposed } = dihedralLayout(k, this.width, this.height);
      const buffer = mirrors[(dx < 0 ? 1 : 0) + (dy < 0 ? 2 : 0)]!;
      return pdqBitsToHex(this.dct(transposed ? transpose64(buffer) : buffer));
    });
    return { plain: mirrors[0]!, dihedral };
  }
}

/** A 64×64 buffer with its columns (x) and/or rows (y) in reverse order. */
function mirror64(buffer: Float32Array, columns: boolean, rows: boolean): Float32Array {
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 64; j++) out[i * 64 + j] = buffer[(rows ? 63 - i : i) * 64 + (columns ? 63 - j : j)]!;
  }
  return out;
}

function transpose64(buffer: Float32Array): Float32Array {
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) out[j * 64 + i] = buffer[i * 64 + j]!;
  return out;
}

let engine: WasmPdq | null | undefined;

/**
 * Runs `work` on the WebAssembly engine laid out for `width × height` (see `WasmPdq.prepare`), or returns
 * undefined when WebAssembly SIMD is unavailable or its memory cannot grow that far: the caller then uses
 * the JavaScript implementation. Nothing has been computed or fed to `rowSums` when undefined is returned.
 */
function withEngine<T>(
  width: number,
  height: number,
  fullLuma: boolean,
  rowSums: RowRunSums | null,
  work: (e: WasmPdq) => T,
): T | undefined {
  if (engine === undefined) {
    const kernels = createPdqKernels([LUMA_R, LUMA_G, LUMA_B]);
    engine = kernels === null ? null : new WasmPdq(kernels);
  }
  if (engine === null) return undefined;
  const used = engine;
  try {
    try {
      used.prepare(width, height, fullLuma, rowSums);
    } catch {
      return undefined; // RangeError: WebAssembly memory cannot grow to this size
    }
    return work(used);
  } finally {
    if (used.memoryBytes > KEEP_MEMORY_BYTES) engine = undefined;
  }
}

/**
 * Blur (two X,Y passes of box filters) and decimate to 64×64 by sampling the centre of each target cell, as
 * the reference does. `luma` is left unchanged.
 */
export function downsampleTo64(image: LumaImage): Float32Array {
  const fast = withEngine(image.width, image.height, true, null, (e) => {
    e.loadLuma(image.luma);
    return e.plain(null);
  });
  return fast ?? downsampleTo64Js(image);
}

/** Heuristic quality 0..100: the sum of quantised gradients of the 64×64 image (reference constants). */
export function pdqQuality(buffer64: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const d = Math.trunc(f(f(f(buffer64[i * 64 + j]! - buffer64[(i + 1) * 64 + j]!) * 100) / 255));
      sum += Math.abs(d);
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const d = Math.trunc(f(f(f(buffer64[i * 64 + j]! - buffer64[i * 64 + j + 1]!) * 100) / 255));
      sum += Math.abs(d);
    }
  }
  return Math.min(100, Math.trunc(sum / 90));
}

/** B = D A Dᵀ restricted to frequencies 1..16 in each direction, accumulated in float32 in reference order. */
export function dct64To16(a: Float32Array): Float32Array {
  const d = DCT_MATRIX;
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    const di = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(d[di + k]! * a[k * 64 + j]!));
      t[i * 64 + j] = s;
    }
  }
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    const ti = i * 64;
    for (let j = 0; j < 16; j++) {
      const dj = j * 64;
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(t[ti + k]! * d[dj + k]!));
      b[i * 16 + j] = s;
    }
  }
  return b;
}

/** The full PDQ pipeline up to the DCT. `null` when the image is too small to hash (reference: zero hash). */
export function pdqDctFromLuma(image: LumaImage): PdqDct | null {
  if (image.width < PDQ_MIN_HASHABLE_DIM || image.height < PDQ_MIN_HASHABLE_DIM) return null;
  const buffer64 =
    image.width === 64 && image.height === 64 ? image.luma.slice(0, 64 * 64) : downsampleTo64(image);
  return { dct: dct64To16(buffer64), quality: pdqQuality(buffer64) };
}

/**
 * Threshold at the median (the 128th smallest of 256, as Torben's method returns) and format as the reference
 * does: sixteen 16-bit words, row 15 first, bit j of word i set when coefficient (i, j) exceeds the median.
 */
export function pdqBitsToHex(dct: Float32Array): string {
  const sorted = Float32Array.from(dct).sort();
  const median = sorted[127]!;
  let hex = '';
  for (let i = 15; i >= 0; i--) {
    let word = 0;
    for (let j = 0; j < 16; j++) if (dct[i * 16 + j]! > median) word |= 1 << j;
    hex += word.toString(16).padStart(4, '0');
  }
  return hex;
}

export const PDQ_ZERO_HASH = '0'.repeat(64);

/** PDQ hash and quality of a float luminance image. */
export function pdqFromLuma(image: LumaImage): PdqResult {
  const r = pdqDctFromLuma(image);
  if (r === null) return { hash: PDQ_ZERO_HASH, quality: 0 };
  return { hash: pdqBitsToHex(r.dct), quality: r.quality };
}

/** PDQ hash and quality of decoded 8-bit pixels. */
export function pdqFromRaw(image: RawImage): PdqResult {
  return pdqHashesFromRaw(image).pdq;
}

/** PDQ of decoded pixels and, when asked, the 8 dihedral hashes (see `pdqDihedralFromLuma`). */
export interface PdqHashes {
  pdq: PdqResult;
  dihedral?: string[];
}

/** Options of `pdqHashesFromRaw`. */
export interface PdqHashesOptions {
  /** Also the 8 dihedral hashes. */
  dihedral?: boolean;
  /**
   * Receives per-row pixel sums over its runs from the same pass over the pixels (blockhash's input), so
   * the pixels are read once for both hashes. Needs 3 or 4 channels.
   */
  rowSums?: RowRunSums;
}

/**
 * PDQ hash, quality and optionally the dihedral hashes of decoded 8-bit pixels in one go: the pixels stream
 * through the WebAssembly engine once (and feed `rowSums` on the way).
 */
export function pdqHashesFromRaw(image: RawImage, options: PdqHashesOptions = {}): PdqHashes {
  const { width, height, channels } = image;
  const dihedral = options.dihedral === true;
  const rowSums = options.rowSums ?? null;
  const tooSmall = width < PDQ_MIN_HASHABLE_DIM || height < PDQ_MIN_HASHABLE_DIM;
  const fast =
    tooSmall || (channels !== 3 && channels !== 4)
      ? undefined
      : withEngine(width, height, false, rowSums, (e) => {
          const both = dihedral ? e.withDihedral(image) : null;
          const buffer64 = both?.plain ?? e.plain(image);
          const pdq = { hash: pdqBitsToHex(e.dct(buffer64)), quality: pdqQuality(buffer64) };
          return both === null ? { pdq } : { pdq, dihedral: both.dihedral };
        });
  if (fast !== undefined) return fast;
  if (rowSums !== null) feedRowRunSums(image, rowSums);
  const luma = lumaFromRaw(image);
  const pdq = pdqFromLuma(luma);
  return dihedral ? { pdq, dihedral: pdqDihedralFromLuma(luma) } : { pdq };
}

/**
 * Names of the 8 dihedral transforms, in the reference's output order. Each entry is the hash that the
 * *transformed* image would have: e.g. `rotate90` is the PDQ of the image rotated by 90° counter-clockwise.
 */
export const PDQ_DIHEDRAL_ORDER = [
  'original',
  'rotate90',
  'rotate180',
  'rotate270',
  'flipX',
  'flipY',
  'flipPlus1',
  'flipMinus1',
] as const;

/**
 * Where pixel (x, y) of a `width × height` image lands in the transformed image: index = origin + x·dx + y·dy.
 * Order as `PDQ_DIHEDRAL_ORDER`; rotations are counter-clockwise, flipX mirrors about the x axis (top ↔ bottom), flipY about the y axis
 * (left ↔ right),
 * flip+1 is the transpose (x ↔ y) and flip−1 the anti-transpose.
 */
function dihedralLayout(
  k: number,
  width: number,
  height: number,
): { origin: number; dx: number; dy: number; transposed: boolean } {
  const w = width;
  const h = height;
  switch (k) {
    case 0:
      return { origin: 0, dx: 1, dy: w, transposed: false };
    case 1: // (x, y) → (y, w−1−x) in an h-wide image
      return { origin: (w - 1) * h, dx: -h, dy: 1, transposed: true };
    case 2:
      return { origin: w * h - 1, dx: -1, dy: -w, transposed: false };
    case 3: // (x, y) → (h−1−y, x)
      return { origin: h - 1, dx: h, dy: -1, transposed: true };
    case 4: // about the x axis: top ↔ bottom
      return { origin: (h - 1) * w, dx: 1, dy: -w, transposed: false };
    case 5: // about the y axis: left ↔ right
      return { origin: w - 1, dx: -1, dy: w, transposed: false };
    case 6: // (x, y) → (y, x)
      return { origin: 0, dx: h, dy: 1, transposed: true };
    case 7: // (x, y) → (h−1−y, w−1−x)
      return { origin: w * h - 1, dx: -h, dy: -1, transposed: true };
    default:
      throw new RangeError(`no dihedral transform ${k}`);
  }
}

/** The `k`-th transform of a luma image (order as `PDQ_DIHEDRAL_ORDER`), written to `out` when given. */
export function transformLuma(image: LumaImage, k: number, out?: Float32Array): LumaImage {
  const { luma, width, height } = image;
  const { origin, dx, dy, transposed } = dihedralLayout(k, width, height);
  const target = out ?? new Float32Array(width * height);
  for (let y = 0, p = 0; y < height; y++) {
    let o = origin + y * dy;
    for (let x = 0; x < width; x++, p++, o += dx) target[o] = luma[p]!;
  }
  return transposed ? { luma: target, width: height, height: width } : { luma: target, width, height };
}

const scratchTransform = new Scratch();

/**
 * The 8 dihedral hashes: entry k is the hash of `transformLuma(image, k)`, i.e. the hash the rotated or flipped
 * image has, so a query's 8 hashes can be compared with hashes of stored originals. The engine filters once with
 * mirrored weights and transposes buffers (same values as filtering each transform); the JavaScript fallback
 * transforms the luma and hashes each transform. (The reference derives them from one DCT by sign changes,
 * which is cheaper but drifts from the transformed image's hash: the decimation grid, even box windows and
 * float32 running sums are not symmetric, which cost up to 20 bits on small photos.)
 */
export function pdqDihedralFromLuma(image: LumaImage): string[] {
  if (image.width < PDQ_MIN_HASHABLE_DIM || image.height < PDQ_MIN_HASHABLE_DIM) {
    return new Array<string>(8).fill(PDQ_ZERO_HASH);
  }
  const fast = withEngine(image.width, image.height, true, null, (e) => {
    e.loadLuma(image.luma);
    return e.withDihedral(null).dihedral;
  });
  if (fast !== undefined) return fast;
  const buffer = scratchTransform.get(image.width * image.height);
  const out: string[] = [];
  for (let k = 0; k < 8; k++) {
    const transformed = k === 0 ? image : transformLuma(image, k, buffer);
    out.push(pdqBitsToHex(pdqDctFromLuma(transformed)!.dct));
  }
  return out;
}

/**
 * The 8 dihedral hashes derived from one DCT, as Meta's reference does: flipping the image negates
 * odd-frequency coefficients along that axis (frequency k = index + 1, so even indices), transposing
 * transposes the DCT. Cheap, but only approximately the hashes of the transformed images (see
 * `pdqDihedralFromLuma`, which `hashMedia` uses).
 */
export function pdqDihedralFromDct(dct: Float32Array): string[] {
  const out: string[] = [];
  const aux = new Float32Array(256);
  // sign(i, j) for the non-transposed and transposed variants, per the reference's sign table.
  const variants: ReadonlyArray<{ transpose: boolean; sign: (i: number, j: number) => number }> = [
    { transpose: false, sign: () => 1 },
    { transpose: true, sign: (_i, j) => (j & 1 ? 1 : -1) },
    { transpose: false, sign: (i, j) => ((i + j) & 1 ? -1 : 1) },
    { transpose: true, sign: (i) => (i & 1 ? 1 : -1) },
    { transpose: false, sign: (i) => (i & 1 ? 1 : -1) },
    { transpose: false, sign: (_i, j) => (j & 1 ? 1 : -1) },
    { transpose: true, sign: () => 1 },
    { transpose: true, sign: (i, j) => ((i + j) & 1 ? -1 : 1) },
  ];
  for (const v of variants) {
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        const value = v.sign(i, j) * dct[i * 16 + j]!;
        if (v.transpose) aux[j * 16 + i] = value;
        else aux[i * 16 + j] = value;
      }
    }
    out.push(pdqBitsToHex(aux));
  }
  return out;
}

/** Hamming distance between two 64-hex-digit hashes (also works for any equal-length hex strings). */
export function hammingDistanceHex(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('hashes differ in length');
  let d = 0;
  for (let i = 0; i < a.length; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x !== 0) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}
