/**
 * PDQ perceptual hash (Meta, 2017), written from the published algorithm and its reference implementation
 * (facebook/ThreatExchange `pdq/cpp`): float luminance, two passes of a Jarosz box filter (a tent filter),
 * decimation to 64×64, the 16×16 corner of a 64×64 DCT-II, thresholding at the median, and the image-domain
 * quality metric. The plain JavaScript implementation rounds to float32 at the same points as the C++
 * reference and agrees with it bit for bit; it is the fallback and the tests' reference. The engine used in
 * production (`WasmPdq`, on the WebAssembly kernels of `pdq-kernels.ts`) computes the same linear filter as
 * separable weights, which rounds differently: its 64×64 buffers are closer to the exact (float64) filter than
 * the reference's float32 running sums are, and its hashes and qualities equal the reference's on every
 * conformance and test image. Pure functions over plain arrays: no decoding, no I/O.
 *
 * The parts, one file each: luminance (`pdq-luma.ts`), the Jarosz filter and decimation (`pdq-jarosz.ts`), the
 * DCT and bit packing (`pdq-dct.ts`), the quality metric (`pdq-quality.ts`), the dihedral transforms
 * (`pdq-dihedral.ts`), the WebAssembly engine (`pdq-engine.ts`) and Hamming distance (`hamming.ts`). This file
 * puts them together: the hashes of luma images and of decoded pixels.
 */

import type { LumaImage, RawImage } from './images.js';
import { dct64To16, pdqBitsToHex } from './pdq-dct.js';
import { transformLuma } from './pdq-dihedral.js';
import { withEngine } from './pdq-engine.js';
import { downsampleTo64Js } from './pdq-jarosz.js';
import { lumaFromRaw } from './pdq-luma.js';
import { pdqQuality } from './pdq-quality.js';
import { Scratch } from './scratch.js';
import { feedRowRunSums, type RowRunSums } from './row-sums.js';

/** Images smaller than this on either side hash to all zeros with quality 0, as in the reference. */
export const PDQ_MIN_HASHABLE_DIM = 5;

/** Meta's recommended match threshold (Hamming distance, inclusive) and quality floor (`@mod/contracts`). */
export { BLOCKHASH_MATCH_DISTANCE, PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY } from '@mod/contracts';

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

/** The full PDQ pipeline up to the DCT. `null` when the image is too small to hash (reference: zero hash). */
export function pdqDctFromLuma(image: LumaImage): PdqDct | null {
  if (image.width < PDQ_MIN_HASHABLE_DIM || image.height < PDQ_MIN_HASHABLE_DIM) return null;
  const buffer64 =
    image.width === 64 && image.height === 64 ? image.luma.slice(0, 64 * 64) : downsampleTo64(image);
  return { dct: dct64To16(buffer64), quality: pdqQuality(buffer64) };
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
