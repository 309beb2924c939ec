/**
 * PDQ's Jarosz filter (two passes of a box filter along each axis, a tent filter) and the decimation to 64×64,
 * as the reference computes them (`downsampleTo64Js`: float32 running sums, bit for bit the C++), and as
 * separable weights (`jaroszAxisWeights`, which the WebAssembly engine applies).
 */

import type { LumaImage } from './images.js';
import { Scratch } from './scratch.js';

const f = Math.fround;

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

const scratchA = new Scratch();
const scratchB = new Scratch();
const scratchColumns = new Scratch();
const scratchColumnsOut = new Scratch();
const scratchSums = new Scratch();

/**
 * How many steps each of the box filter's four phases takes along `length` samples, as the reference splits
 * them: accumulate (inputs only), grow (the window still filling), slide (a full window) and shrink (the window
 * leaving the far edge).
 */
function boxPhases(window: number, length: number): [number, number, number, number] {
  const half = Math.floor((window + 2) / 2);
  return [half - 1, window - half + 1, length - window, half - 1];
}

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
  const [phase1, phase2, phase3, phase4] = boxPhases(window, width);
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
  const [phase1, phase2, phase3, phase4] = boxPhases(window, height);
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

/**
 * The Jarosz filter and decimation along one dimension of `n` samples, as weights: the reference's two box
 * passes (window `jaroszWindowSize(n)`, shrinking at the edges) followed by sampling at the centre of target
 * cell k make output k a weighted sum of the samples lo[k] .. lo[k] + length[k] − 1. Both passes are linear,
 * so the 64×64 buffer is Σ weightsY_i(y) · weightsX_j(x) · luma(x, y), separable. Weights are computed in
 * float64 (exact sums of 1/(count·count) terms) and rounded to float32 once.
 */
export interface AxisWeights {
  lo: Int32Array;
  length: Int32Array;
  /** weights[k] has length[k] entries. */
  weights: Float32Array[];
  /** Per sample t: the first output whose support does not end before t (supports are in increasing order). */
  firstOutput: Int32Array;
}

const axisWeightsCache = new Map<number, AxisWeights>();

/** The `AxisWeights` of a dimension of `n` samples (kept for the last few sizes a thread has seen). */
export function jaroszAxisWeights(n: number): AxisWeights {
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
