/**
 * PDQ perceptual hash (Meta, 2017), written from the published algorithm and its reference implementation
 * (facebook/ThreatExchange `pdq/cpp`): float luminance, two passes of a Jarosz box filter (a tent filter),
 * decimation to 64×64, the 16×16 corner of a 64×64 DCT-II, thresholding at the median, and the image-domain
 * quality metric. Arithmetic is rounded to float32 at the same points as the C++ reference so that hashes agree
 * bit for bit. Pure functions over plain arrays: no decoding, no I/O.
 */

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

/**
 * Luminance of each pixel: Y = 0.299 R + 0.587 G + 0.114 B for colour, the sample itself for grey (1-2
 * channels). Any alpha channel is ignored, as the reference tools ignore it.
 */
export function lumaFromRaw(image: RawImage): LumaImage {
  const { data, width, height, channels } = image;
  const n = width * height;
  const luma = new Float32Array(n);
  if (channels >= 3) {
    for (let p = 0, o = 0; p < n; p++, o += channels) {
      luma[p] = f(f(LUMA_R * data[o]!) + f(LUMA_G * data[o + 1]!)) + f(LUMA_B * data[o + 2]!);
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
 * One-dimensional box filter with a window centred on each output, shrinking at the edges (the reference's
 * four-phase scheme). Reads `length` samples from `input` at `offset + k*stride`, writes the same slots of `output`.
 */
function box1d(
  input: Float32Array,
  output: Float32Array,
  offset: number,
  length: number,
  stride: number,
  window: number,
): void {
  const half = Math.floor((window + 2) / 2);
  const phase1 = half - 1;
  const phase2 = window - half + 1;
  const phase3 = length - window;
  const phase4 = half - 1;
  let li = offset;
  let ri = offset;
  let oi = offset;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++) {
    sum = f(sum + input[ri]!);
    count++;
    ri += stride;
  }
  for (let i = 0; i < phase2; i++) {
    sum = f(sum + input[ri]!);
    count++;
    output[oi] = sum / count;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < phase3; i++) {
    sum = f(sum + input[ri]!);
    sum = f(sum - input[li]!);
    output[oi] = sum / count;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < phase4; i++) {
    sum = f(sum - input[li]!);
    count--;
    output[oi] = sum / count;
    li += stride;
    oi += stride;
  }
}

/**
 * The same filter as `box1d` applied down every column at once, row by row, so memory is read sequentially.
 * Each column's running sum sees the same additions and subtractions in the same order as `box1d` with
 * stride `width`, so the float32 results are identical (the test compares both).
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
  const sums = new Float32Array(width);
  let li = 0;
  let ri = 0;
  let oi = 0;
  let count = 0;
  for (let i = 0; i < phase1; i++, ri += width, count++) {
    for (let c = 0; c < width; c++) sums[c] = sums[c]! + input[ri + c]!;
  }
  for (let i = 0; i < phase2; i++, ri += width, oi += width) {
    count++;
    for (let c = 0; c < width; c++) {
      sums[c] = sums[c]! + input[ri + c]!;
      output[oi + c] = sums[c]! / count;
    }
  }
  for (let i = 0; i < phase3; i++, ri += width, li += width, oi += width) {
    for (let c = 0; c < width; c++) {
      sums[c] = sums[c]! + input[ri + c]!;
      sums[c] = sums[c]! - input[li + c]!;
      output[oi + c] = sums[c]! / count;
    }
  }
  for (let i = 0; i < phase4; i++, li += width, oi += width) {
    count--;
    for (let c = 0; c < width; c++) {
      sums[c] = sums[c]! - input[li + c]!;
      output[oi + c] = sums[c]! / count;
    }
  }
}

/**
 * Blur (two X,Y passes of box filters) and decimate to 64×64 by sampling the centre of each target cell.
 * `luma` is overwritten (it is the reference's first work buffer).
 */
export function downsampleTo64(image: LumaImage): Float32Array {
  const { luma, width, height } = image;
  const windowAlongRows = jaroszWindowSize(width);
  const windowAlongCols = jaroszWindowSize(height);
  const tmp = new Float32Array(luma.length);
  for (let rep = 0; rep < 2; rep++) {
    for (let r = 0; r < height; r++) box1d(luma, tmp, r * width, width, 1, windowAlongRows);
    boxAlongColumns(tmp, luma, width, height, windowAlongCols);
  }
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    const ini = Math.trunc(((i + 0.5) * height) / 64);
    for (let j = 0; j < 64; j++) {
      const inj = Math.trunc(((j + 0.5) * width) / 64);
      out[i * 64 + j] = luma[ini * width + inj]!;
    }
  }
  return out;
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
    image.width === 64 && image.height === 64 ? Float32Array.from(image.luma) : downsampleTo64(image);
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
  return pdqFromLuma(lumaFromRaw(image));
}

/**
 * Names of the 8 dihedral transforms, in the reference's output order. Each entry is the hash that the
 * *transformed* image would have: e.g. `rotate90` is the PDQ of the image rotated by 90°.
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
 * The 8 dihedral hashes from one DCT. Flipping the image negates odd-frequency coefficients along that axis
 * (frequency k = index + 1, so even indices), transposing transposes the DCT; rotations combine the two.
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
