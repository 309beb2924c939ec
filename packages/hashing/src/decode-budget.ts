import { HashingError, HashingErrorCode } from './errors.js';
import type { ImageFormat } from './sniff.js';
import { tiffPlaneRows } from './tiff-planes.js';

/**
 * What an image's header says about the memory its decode takes: read before any pixel is decoded (sharp's
 * `metadata()`, see `imageHeaderOf`), so a small file that expands to gigabytes is refused
 * while it is still small.
 */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels stored in the file (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA or CMYK, 5 CMYK + alpha). */
  channels: number;
  /** Bytes per stored sample: 1 for 8-bit, 2 for 16-bit, 4 for 32-bit float. */
  bytesPerSample: number;
  /** Interlaced PNG (Adam7) or progressive JPEG: the loader must hold the whole image before the first row. */
  interlaced: boolean;
  hasAlpha: boolean;
  /** libvips colour space (`b-w`, `srgb`, `cmyk`...): how many of `channels` are colour, the rest pass through. */
  space?: string | undefined;
  /** A TIFF stored plane by plane: rows of every plane its loader holds at once (`tiffPlaneRows`); 0 otherwise. */
  planeRows?: number;
}

/** The header facts sharp's `metadata()` gives (this module does not load sharp: `@mod/hashing` stays pure). */
export interface HeaderMetadata {
  width: number;
  height: number;
  channels?: number | undefined;
  /** libvips band format: `uchar`, `ushort`, `float`... */
  depth?: string | undefined;
  /** Interlaced PNG or progressive JPEG. */
  isProgressive?: boolean | undefined;
  hasAlpha?: boolean | undefined;
  /** libvips interpretation: `b-w`, `grey16`, `srgb`, `cmyk`... */
  space?: string | undefined;
}

const BYTES_PER_SAMPLE: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
};

/**
 * The header facts `decodedBytes` needs, from sharp's `metadata()` (which reads the header only) and the format
 * sniffed from the magic bytes (and, for a TIFF, its bytes: `tiffPlaneRows`). An unknown depth counts as 4 bytes per
 * sample and a missing channel count as 4: unknown is never cheaper.
 */
export function imageHeaderOf(meta: HeaderMetadata, format: ImageFormat, bytes?: Uint8Array): ImageHeader {
  return {
    ...(format === 'tiff' && bytes !== undefined ? { planeRows: tiffPlaneRows(bytes) } : {}),
    format,
    width: meta.width,
    height: meta.height,
    channels: meta.channels ?? 4,
    bytesPerSample: BYTES_PER_SAMPLE[meta.depth ?? ''] ?? 4,
    interlaced: meta.isProgressive === true,
    hasAlpha: meta.hasAlpha === true,
    space: meta.space,
  };
}

/**
 * Channels of the 8-bit sRGB output: 3 colour channels, plus every channel beyond the file's colour ones (alpha, and
 * TIFF's extra samples, of which a file may declare any number: libvips passes them through the conversion).
 */
function outputChannels(header: ImageHeader): number {
  const colour = header.space === 'b-w' || header.space === 'grey16' ? 1 : header.space === 'cmyk' ? 4 : 3;
  return Math.max(header.hasAlpha ? 4 : 3, 3 + header.channels - colour);
}

/**
 * Bytes per pixel that AVIF/HEIF decoding takes at its peak: libheif and dav1d hold the whole picture in planar
 * YUV, its RGB conversion and libvips' copy at once. Measured on 16 MP AVIFs (sharp 0.34.5, one libvips thread):
 * 16 bytes per pixel at 4:2:0, 19 at 4:4:4, with or without alpha.
 */
const HEIF_BYTES_PER_PIXEL = 20;

/**
 * The bytes one decode to 8-bit RGB(A) holds at its peak, from the header alone (`README.md`, Limits, compares it
 * with measured peaks). Two parts:
 * - the output, which the hash needs whole: 3 bytes per pixel, 4 with alpha, one more per extra sample a TIFF
 *   declares (a 2 MB file of 4000×4000 pixels of 128 samples each is 2 GB of output); 16-bit greyscale is first
 *   read as 16-bit samples to clip them (see `decodeImage`), a second buffer;
 * - what the loader itself holds for the whole image before it can produce a row, at the file's own depth: an
 *   interlaced PNG (Adam7 passes cover the whole image, so libvips decodes it whole, 16-bit samples as 16-bit),
 *   a progressive JPEG (libjpeg keeps every DCT coefficient, 2 bytes each; counted without chroma subsampling), a
 *   GIF or WebP frame (composed as RGBA), AVIF/HEIF (above), a TIFF stored plane by plane (a strip or row of tiles
 *   of every plane: `tiffPlaneRows`). Baseline JPEG, non-interlaced PNG and interleaved TIFF stream.
 *
 * A 16-bit PNG cannot be read as 8-bit any earlier: libvips' PNG loader has no such option and sharp converts
 * after the load, so the interlaced loader's 16-bit buffer is counted as it is.
 */
export function decodedBytes(header: ImageHeader): number {
  const pixels = header.width * header.height;
  if (header.format === 'avif' || header.format === 'heif') return pixels * HEIF_BYTES_PER_PIXEL;
  const grey16 = header.channels === 1 && header.bytesPerSample === 2;
  const output = grey16 ? pixels * (2 + 3) : pixels * outputChannels(header);
  let loader = 0;
  if (header.format === 'png' && header.interlaced) loader = pixels * header.channels * header.bytesPerSample;
  else if (header.format === 'jpeg' && header.interlaced) loader = pixels * header.channels * 2;
  else if (header.format === 'gif' || header.format === 'webp') loader = pixels * 4;
  else if (header.format === 'tiff')
    loader = (header.planeRows ?? 0) * header.width * header.channels * header.bytesPerSample;
  return output + loader;
}

/**
 * How many frames of an animation (GIF, WebP: every frame composed on the whole canvas) one decode may return as a
 * strip (`pages: n`) within `maxDecodedBytes`: what one frame's decode holds (`decodedBytes`, the loader's frame
 * included, which it keeps once), then each further frame's 8-bit output. 0 when one frame does not fit.
 */
export function framesWithin(header: ImageHeader, maxDecodedBytes: number): number {
  const first = decodedBytes(header);
  if (first > maxDecodedBytes) return 0;
  return 1 + Math.floor((maxDecodedBytes - first) / (header.width * header.height * outputChannels(header)));
}

/**
 * `work`'s result, or the error `timedOut` makes once `timeoutMs` has passed: the wall-clock bound around a decode,
 * for loaders that do not report progress to libvips' own timeout. Shared by the scanner's decode and the
 * classifier's, each with its own error.
 *
 * A decode past its deadline cannot be stopped: libvips runs it on a libuv thread to its end (a lossless WebP's
 * loader ignores the timeout; terminating the worker thread waits for it too). So the error is answered once the
 * decode has ended, however it ends: a worker answering at the deadline would take its next task while the
 * abandoned decode still ran, and hostile images would pile up decodes (CPU, the libuv threads every decode needs,
 * up to `maxDecodedBytes` of memory each) beyond the pool's threads, the bound the memory limits are sized for.
 * Only a decode still running `abandonAfterMs` past the deadline (default 5 deadlines, at least a minute: hung, not
 * slow; the largest image the limits let through decodes in seconds) is answered without waiting for its end, so
 * that its event is not held for ever.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  timedOut: () => Error,
  abandonAfterMs = Math.max(timeoutMs * 5, 60_000),
): Promise<T> {
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number) =>
    new Promise<'late'>((resolve) => timers.push(setTimeout(() => resolve('late'), ms)));
  const finished = work.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  try {
    const first = await Promise.race([finished, after(timeoutMs)]);
    if (first === 'late') {
      await Promise.race([finished, after(abandonAfterMs)]);
      throw timedOut();
    }
    if ('err' in first) throw first.err;
    return first.value;
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/**
 * Refuses, with `MOD_ERR_HASH_TOO_MANY_DECODED_BYTES`, an image whose decode would hold more than `maxDecodedBytes`
 * (see `decodedBytes`); returns the estimate otherwise. Shared by the scanner's decode and the classifier's.
 */
export function checkDecodedBytes(header: ImageHeader, maxDecodedBytes: number): number {
  const bytes = decodedBytes(header);
  if (bytes > maxDecodedBytes) {
    const mib = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`;
    const depth = `${header.bytesPerSample * 8}-bit${header.interlaced ? ' interlaced' : ''}`;
    throw new HashingError(
      HashingErrorCode.TOO_MANY_DECODED_BYTES,
      `a ${header.width}×${header.height} ${depth} ${header.format} with ${header.channels} channels decodes to ` +
        `about ${mib(bytes)}, above the limit of ${mib(maxDecodedBytes)}`,
    );
  }
  return bytes;
}
