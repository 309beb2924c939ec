/**
 * The 8 dihedral transforms (rotations and flips) of PDQ: where each transform sends a pixel, the transformed
 * luma image, 64×64 buffers mirrored or transposed, and the reference's cheap approximation from one DCT.
 */

import type { LumaImage } from './images.js';
import { pdqBitsToHex } from './pdq-dct.js';

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
export function dihedralLayout(
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

/** A 64×64 buffer with its columns (x) and/or rows (y) in reverse order. */
export function mirror64(buffer: Float32Array, columns: boolean, rows: boolean): Float32Array {
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 64; j++) out[i * 64 + j] = buffer[(rows ? 63 - i : i) * 64 + (columns ? 63 - j : j)]!;
  }
  return out;
}

export function transpose64(buffer: Float32Array): Float32Array {
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) out[j * 64 + i] = buffer[i * 64 + j]!;
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
