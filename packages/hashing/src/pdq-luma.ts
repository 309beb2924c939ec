/**
 * PDQ's luminance: the reference's float luma (ITU-R BT.601 "Y") of decoded 8-bit pixels, rounded to float32 at
 * the reference's points.
 */

import type { LumaImage, RawImage } from './images.js';

const f = Math.fround;

/** The reference uses float luma coefficients (ITU-R BT.601 "Y"). */
export const LUMA_R = f(0.299);
export const LUMA_G = f(0.587);
export const LUMA_B = f(0.114);

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
