import sharp from 'sharp';
import { emptyChunk, flatPngWith } from './png-chunks.test-helper.js';

/** How {@link seededPhoto} draws its picture. */
export interface SeededPhotoOptions {
  width: number;
  height: number;
  /** Pixels from one ring to the next around the picture's seeded centre. */
  ringPeriod: number;
  /** JPEG quality, 1 to 100. */
  quality: number;
}

/**
 * A photo-like JPEG that is nobody's photo, for the demo and the tests (never real material): rings around a
 * seeded centre in red, gradients in green and blue, and seeded noise, so its perceptual hashes are meaningful.
 * The same seed and options draw the same pixels.
 */
export async function seededPhoto(
  seed: number,
  { width, height, ringPeriod, quality }: SeededPhotoOptions,
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const cx = rand() * width;
  const cy = rand() * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.hypot(x - cx, y - cy);
      raw[i] = (128 + 100 * Math.sin(d / ringPeriod) + rand() * 20) & 255;
      raw[i + 1] = ((x * 255) / width + rand() * 30) & 255;
      raw[i + 2] = ((y * 255) / height + rand() * 30) & 255;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** How {@link flatRgbaPng} writes its PNG. */
export interface FlatRgbaPngOptions {
  /** 16 bits per sample rather than 8. */
  bits16: boolean;
  /** Adam7-interlaced (sharp's `progressive`). */
  interlaced: boolean;
  /** zlib level, 0 to 9. Default 1 (quick to write); 9 writes the smaller file an attacker would send. */
  compressionLevel?: number;
}

/**
 * A flat `width`×`height` RGBA PNG, half transparent. At 10000×10000, 16-bit and interlaced it is the decompression
 * bomb the decode budgets exist for: about 1 MB on the wire, 1.2 GB to decode (the interlaced PNG loader holds the
 * whole 16-bit image). sharp writes that one in a second or two.
 */
export function flatRgbaPng(
  width: number,
  height: number,
  { bits16, interlaced, compressionLevel = 1 }: FlatRgbaPngOptions,
): Promise<Buffer> {
  let p = sharp({
    create: { width, height, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } },
  });
  if (bits16) p = p.toColourspace('rgb16');
  return p.png({ progressive: interlaced, compressionLevel }).toBuffer();
}

/**
 * An animation of `frames` (encoded images, each resized to `width`×`height`), one frame each, as an animated GIF
 * (palette quantised, no dithering: quick to write) or a lossy WebP, looping for ever: for the tests and benchmark
 * of per-frame hashing (a benign first frame in front of a listed one).
 */
export async function animationOf(
  frames: readonly Uint8Array[],
  { format, width, height }: { format: 'gif' | 'webp'; width: number; height: number },
): Promise<Buffer> {
  const raws = await Promise.all(
    frames.map((f) => sharp(f).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  const strip = sharp(Buffer.concat(raws), {
    raw: { width, height: height * frames.length, channels: 3, pageHeight: height },
  });
  const delay = frames.map(() => 100);
  return format === 'gif'
    ? strip.gif({ loop: 0, delay, effort: 1, dither: 0 }).toBuffer()
    : strip.webp({ loop: 0, delay, quality: 90 }).toBuffer();
}

/**
 * A flat `width`×`height` lossless WebP of one colour: a few kilobytes whose loader decodes every pixel in one
 * call, which libvips' timeout cannot interrupt. At 6000×6000 (36 MP, within every decode limit) it takes seconds:
 * the media a decode time limit exists for.
 */
export function flatLosslessWebp(width: number, height: number, background: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .webp({ lossless: true })
    .toBuffer();
}

const EMPTY_CHUNK = emptyChunk('prVt');

/**
 * A flat `width`×`height` PNG of `chunks` empty chunks between its header and its pixels (12 bytes each, skipped by
 * every decoder): a valid picture whose chunks are many. The chunk walk (`apngFirstShownFrame`) once held an object
 * per chunk on the V8 heap, so that 400,000 of them (4.8 MB) took a worker past a heap of 16 MiB; it now keeps none,
 * and refuses a PNG of more than `MAX_PNG_CHUNKS` (`MOD_ERR_HASH_TOO_MANY_CHUNKS`).
 */
export async function pngOfEmptyChunks(
  chunks: number,
  options: { width?: number; height?: number; background?: string } = {},
): Promise<Buffer> {
  const padding = Buffer.alloc(chunks * EMPTY_CHUNK.byteLength);
  for (let at = 0; at < padding.byteLength; at += EMPTY_CHUNK.byteLength) EMPTY_CHUNK.copy(padding, at);
  return flatPngWith(padding, options);
}
