import type { RawImage } from './images.js';

/** A crop rectangle in pixel coordinates of the stored image. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Tuning of border detection. Defaults were chosen on letterboxed/padded copies of the PDQ test photos. */
export interface TrimOptions {
  /** Largest per-channel difference from the border colour for a pixel to count as border (0..255). */
  tolerance: number;
  /** Fraction of a line's pixels that must be border-coloured for the line to be border. */
  minLineFraction: number;
  /** A side is trimmed only when at least this fraction of the dimension is border (ignores 1-px frames). */
  minTrimFraction: number;
  /** The content left must be at least this fraction of each original dimension. */
  minContentFraction: number;
}

export const defaultTrimOptions: TrimOptions = Object.freeze({
  tolerance: 24,
  minLineFraction: 0.98,
  minTrimFraction: 0.02,
  minContentFraction: 0.2,
});

/**
 * Finds uniform borders (letterbox bars, padding, frames of one colour) on each side independently and returns
 * the content rectangle, or `null` when no side has a border worth removing. The border colour of a side is
 * taken from the middle pixel of its outermost line, so gradients and photos that touch the edge are left alone.
 */
export function findContentBox(image: RawImage, options: TrimOptions = defaultTrimOptions): CropBox | null {
  const { data, width, height, channels } = image;
  if (width < 8 || height < 8) return null;
  const colourChannels = Math.min(3, channels);

  const lineIsBorder = (ref: number, start: number, count: number, step: number): boolean => {
    let ok = 0;
    const needed = Math.ceil(count * options.minLineFraction);
    for (let k = 0, o = start; k < count; k++, o += step) {
      let within = true;
      for (let c = 0; c < colourChannels; c++) {
        if (Math.abs(data[o + c]! - data[ref + c]!) > options.tolerance) {
          within = false;
          break;
        }
      }
      if (within) ok++;
      if (ok >= needed) return true;
      if (ok + (count - k - 1) < needed) return false;
    }
    return ok >= needed;
  };
  const px = (x: number, y: number): number => (y * width + x) * channels;

  const maxTop = Math.floor(height * (1 - options.minContentFraction));
  const maxLeft = Math.floor(width * (1 - options.minContentFraction));
  let top = 0;
  const topRef = px(width >> 1, 0);
  while (top < maxTop && lineIsBorder(topRef, px(0, top), width, channels)) top++;
  let bottom = 0;
  const bottomRef = px(width >> 1, height - 1);
  while (bottom < maxTop - top && lineIsBorder(bottomRef, px(0, height - 1 - bottom), width, channels))
    bottom++;
  let left = 0;
  const leftRef = px(0, height >> 1);
  while (left < maxLeft && lineIsBorder(leftRef, px(left, 0), height, width * channels)) left++;
  let right = 0;
  const rightRef = px(width - 1, height >> 1);
  while (right < maxLeft - left && lineIsBorder(rightRef, px(width - 1 - right, 0), height, width * channels))
    right++;

  const minRows = Math.ceil(height * options.minTrimFraction);
  const minCols = Math.ceil(width * options.minTrimFraction);
  if (top < minRows) top = 0;
  if (bottom < minRows) bottom = 0;
  if (left < minCols) left = 0;
  if (right < minCols) right = 0;
  if (top + bottom + left + right === 0) return null;
  const box = { left, top, width: width - left - right, height: height - top - bottom };
  if (box.width < width * options.minContentFraction || box.height < height * options.minContentFraction)
    return null;
  return box;
}

/** Copies the pixels of `box` out of `image` (same channel layout). */
export function cropRaw(image: RawImage, box: CropBox): RawImage {
  const { data, width, channels } = image;
  const out = new Uint8Array(box.width * box.height * channels);
  const rowBytes = box.width * channels;
  for (let y = 0; y < box.height; y++) {
    const from = ((box.top + y) * width + box.left) * channels;
    out.set(data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data: out, width: box.width, height: box.height, channels };
}
