import sharp from 'sharp';
import { apngFirstShownFrame, apngFrameCount } from './apng.js';
import { checkJpegScans } from './jpeg-scans.js';
import { checkDecodedBytes, framesWithin, imageHeaderOf, withDeadline } from './decode-budget.js';
import { HashingError, HashingErrorCode } from './errors.js';
import type { DecodeLimits } from './limits.js';
import { sniffImageFormat } from './sniff.js';
import type { ImageFormat } from './sniff.js';
import type { RawImage } from './images.js';

/**
 * A decoded frame (the first unless `page` asked for another), in stored (not EXIF-rotated) orientation, as RGB or
 * RGBA 8-bit sRGB samples; with `pages`, an animation's next frames below it.
 */
export interface DecodedImage {
  format: ImageFormat;
  /**
   * RGB (3 channels) when the file has no alpha, else RGBA with straight (not premultiplied) alpha. With `pages`,
   * `stripFrames` frames stacked top to bottom (height = `stripFrames` × the frame's height).
   */
  pixels: RawImage;
  /** Frames in `pixels`: frames `page` to `page + stripFrames − 1` (1 unless `pages` asked for more). */
  stripFrames: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  /** Width and height as displayed, i.e. after applying `orientation` (swapped for 5..8). */
  displayWidth: number;
  displayHeight: number;
  /** Number of frames/pages in the file (1 for still images; an animated PNG's from its acTL chunk). */
  frames: number;
  /** 1 when every pixel was decoded; 4, 8 or 16 when a large JPEG was decoded at that reduction (`reducedDecode`). */
  decodeScale: number;
}

/** How a large JPEG may be decoded at a reduced scale (see `reducedJpegScale`). */
export interface ReducedDecode {
  /** Shorter side, in pixels, that the reduced image must keep (at least 64). */
  minSide: number;
}

/**
 * Every pixel is decoded by default, as python-threatexchange (the hasher of Meta's Hasher-Matcher-Actioner) hashes
 * an image; Meta's own PDQ command-line hashers shrink an image over 512 px first (the C++ one squashes it to
 * 512×512, the Python one makes a 512-px thumbnail), so hashes of one large photo already differ by a few bits
 * between reference tools. `{ minSide }` decodes large JPEGs at 1/4, 1/8 or
 * 1/16 scale when the shorter side stays at least `minSide` px: libjpeg decodes at half that reduction inside its
 * inverse DCT and libvips halves the result with a Lanczos-3 kernel (see `reducedJpegScale`). PDQ drifts a few
 * bits on 12 MP photos and blockhash hardly at all (`bench/hashing` prints both). Off by default: lists are built
 * from full decodes.
 */
export const defaultReducedDecode: ReducedDecode | false = false;

/**
 * The reduced decode we measure and suggest (scanner `HASH_REDUCED_DECODE_MIN_SIDE`, `modctl hash
 * --reduced-decode`): a 12 MP photo (4032×3024) is decoded at 1/4, 1008×756, still 12 times PDQ's 64×64 grid.
 */
export const recommendedReducedDecode: ReducedDecode = { minSide: 600 };

/** Decoder choices; production uses the defaults. */
export interface DecodeOptions {
  /** Reduced-scale decoding of large JPEGs; `false` decodes every pixel (as python-threatexchange does). */
  reducedDecode?: ReducedDecode | false;
  /** The frame (page) to decode, from 0; past the file's last frame is `MOD_ERR_HASH_INVALID_OPTIONS`. Default 0. */
  page?: number;
  /**
   * Frames to decode at once from `page` on, as one strip (`DecodedImage.stripFrames`): for an animated GIF or WebP,
   * whose loaders compose each frame over the ones before (decoding frame k alone decodes those anyway), as many of
   * them as fit `maxDecodedBytes` (`framesWithin`), at least 1; other formats decode one page. Default 1.
   */
  pages?: number;
}

/** Formats whose frames libvips returns as one strip (`pages: n`), all of the canvas' size. */
export const STRIP_FORMATS: ReadonlySet<ImageFormat> = new Set<ImageFormat>(['gif', 'webp']);

/**
 * Formats whose frames or pages libvips decodes (`page`): not PNG, whose loader reads an animated PNG's default
 * image only, nor JPEG.
 */
export const PAGED_FORMATS: ReadonlySet<ImageFormat> = new Set<ImageFormat>([
  'gif',
  'webp',
  'tiff',
  'heif',
  'avif',
]);

/** Reductions that libjpeg's DCT scaling (1/2, 1/4, 1/8) plus one 2:1 resampling by sharp produce. */
const REDUCED_SCALES = [4, 8, 16] as const;

/**
 * The reduction (1, 4, 8 or 16) at which a `width`×`height` image is decoded: the largest that keeps the shorter
 * side at least `minSide` and divides both sides exactly; 1 for other formats or when reduction is off.
 *
 * There is no 2: sharp never lets libjpeg decode straight to the requested size (it keeps a factor of 2 for its
 * own resampling, citing libjpeg's rounding), so "1/2" would decode every pixel and then resample them, slower
 * than a full decode. A reduction by `s` is therefore libjpeg's DCT scaling by `s / 2` followed by a Lanczos-3
 * halving; exact division keeps that halving exactly 2:1.
 */
export function reducedJpegScale(
  format: ImageFormat,
  width: number,
  height: number,
  reduced: ReducedDecode | false,
): number {
  if (reduced === false || format !== 'jpeg') return 1;
  const shorter = Math.min(width, height);
  const fits = (s: number) => width % s === 0 && height % s === 0 && shorter / s >= reduced.minSide;
  let scale = 1;
  for (const s of REDUCED_SCALES) if (fits(s)) scale = s;
  return scale;
}

function classifySharpError(err: unknown): HashingError {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new HashingError(HashingErrorCode.TOO_MANY_PIXELS, 'image exceeds the pixel limit', {
      cause: err,
    });
  }
  if (/timeout/i.test(message)) {
    return new HashingError(HashingErrorCode.TIMEOUT, 'decoding timed out', { cause: err });
  }
  if (/unsupported image format/i.test(message)) {
    return new HashingError(HashingErrorCode.UNSUPPORTED_FORMAT, 'the decoder does not recognise this file', {
      cause: err,
    });
  }
  return new HashingError(HashingErrorCode.DECODE_FAILED, `decode failed: ${message.split('\n')[0] ?? ''}`, {
    cause: err,
  });
}

/**
 * 16-bit greyscale: the reference pipeline (Pillow's I;16 → RGB conversion, used by python-threatexchange)
 * clips each sample to 255 instead of scaling it, and published hashes depend on that; so do we.
 */
async function decodeGrey16Clipped(
  input: Buffer,
  sharpOptions: sharp.SharpOptions,
  seconds: number,
): Promise<RawImage> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(input, sharpOptions)
      .timeout({ seconds })
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw classifySharpError(err);
  }
  const samples = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2);
  const n = raw.info.width * raw.info.height;
  const step = raw.info.channels;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const v = Math.min(255, samples[p * step]!);
    data[p * 3] = v;
    data[p * 3 + 1] = v;
    data[p * 3 + 2] = v;
  }
  return { data, width: raw.info.width, height: raw.info.height, channels: 3 };
}

/**
 * RGB and the first channel after it (libvips' alpha) of an image with more: a TIFF may declare any number of extra
 * samples per pixel, which libvips passes through its sRGB conversion, and the hashes read 3 or 4 channels (blockhash
 * read 5 or 7 as if they were 3, and its hash of an RGB image plus two opaque extra samples was 114 bits off).
 */
function firstFourChannels(image: RawImage): RawImage {
  const { data, width, height, channels } = image;
  const out = new Uint8Array(width * height * 4);
  for (let p = 0, o = 0; o < out.length; p += channels, o += 4) {
    out[o] = data[p]!;
    out[o + 1] = data[p + 1]!;
    out[o + 2] = data[p + 2]!;
    out[o + 3] = data[p + 3]!;
  }
  return { data: out, width, height, channels: 4 };
}

/**
 * Decodes the first frame of an image (frame `page` with that option; with `pages`, an animation's next frames too)
 * with every limit enforced: bytes and magic before the decoder runs,
 * header dimensions, frame count and the decoded size (`maxDecodedBytes`) before pixels are decoded, wall-clock
 * time around both steps.
 * Choices (see README): embedded ICC profiles are ignored and EXIF orientation is not applied, because the
 * reference PDQ/blockhash tools do neither; everything is converted to 8-bit sRGB with alpha.
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: DecodeLimits,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  if (bytes.byteLength === 0) throw new HashingError(HashingErrorCode.EMPTY, 'input is empty');
  if (bytes.byteLength > limits.maxBytes) {
    throw new HashingError(
      HashingErrorCode.TOO_LARGE,
      `input is ${bytes.byteLength} bytes, above the limit of ${limits.maxBytes}`,
    );
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new HashingError(HashingErrorCode.UNSUPPORTED_FORMAT, 'magic bytes match no allowed image format');
  }
  // libjpeg reads every scan of a progressive JPEG before libvips' timeout can stop it: counted from the bytes.
  if (format === 'jpeg') checkJpegScans(bytes);
  // An animated PNG whose default image is left out of its animation is decoded as the frame viewers show first.
  const shown = format === 'png' ? apngFirstShownFrame(bytes) : null;
  const decoded = shown ?? bytes;
  const input = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  const page = options.page ?? 0;
  const wanted = options.pages ?? 1;
  if (!Number.isInteger(page) || page < 0 || !Number.isInteger(wanted) || wanted < 1) {
    throw new HashingError(HashingErrorCode.INVALID_OPTIONS, 'page and pages must be integers ≥ 0 and ≥ 1');
  }
  let sharpOptions: sharp.SharpOptions = {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    sequentialRead: true,
    ignoreIcc: true,
    pages: 1,
    page,
  };
  const seconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const reduced = options.reducedDecode ?? defaultReducedDecode;
  if (reduced !== false && (!Number.isInteger(reduced.minSide) || reduced.minSide < 64)) {
    throw new HashingError(
      HashingErrorCode.INVALID_OPTIONS,
      'reducedDecode.minSide must be an integer of at least 64',
    );
  }

  const work = async (): Promise<DecodedImage> => {
    let meta: sharp.Metadata;
    try {
      meta = await sharp(input, sharpOptions).metadata();
    } catch (err) {
      throw classifySharpError(err);
    }
    const width = meta.width;
    const height = meta.height;
    if (!width || !height) {
      throw new HashingError(HashingErrorCode.DECODE_FAILED, 'image header has no dimensions');
    }
    if (width * height > limits.maxPixels) {
      throw new HashingError(
        HashingErrorCode.TOO_MANY_PIXELS,
        `image is ${width}×${height}, above the limit of ${limits.maxPixels} pixels`,
      );
    }
    if (limits.maxDimension !== undefined && Math.max(width, height) > limits.maxDimension) {
      throw new HashingError(
        HashingErrorCode.TOO_MANY_PIXELS,
        `image is ${width}×${height}, a side exceeds ${limits.maxDimension} pixels`,
      );
    }
    const frames = (format === 'png' ? apngFrameCount(bytes) : meta.pages) ?? 1;
    if (frames > limits.maxFrames) {
      throw new HashingError(
        HashingErrorCode.TOO_MANY_FRAMES,
        `image has ${frames} frames, above the limit of ${limits.maxFrames}`,
      );
    }
    if (page > 0 && page >= frames) {
      throw new HashingError(
        HashingErrorCode.INVALID_OPTIONS,
        `page ${page} of an image of ${frames} frames`,
      );
    }
    // Before any pixel: a 1 MB 16-bit interlaced PNG of 10000×10000 passes maxPixels yet decodes to 1.2 GB.
    const header = imageHeaderOf(meta, format, bytes);
    checkDecodedBytes(header, limits.maxDecodedBytes);
    const stripFrames = STRIP_FORMATS.has(format)
      ? Math.max(1, Math.min(wanted, frames - page, framesWithin(header, limits.maxDecodedBytes)))
      : 1;
    if (stripFrames > 1) {
      // The strip is stripFrames frames high: each frame passed maxPixels, the strip fits maxDecodedBytes.
      sharpOptions = { ...sharpOptions, pages: stripFrames, limitInputPixels: width * height * stripFrames };
    }
    const orientation = meta.orientation ?? 1;
    const swapped = orientation >= 5 && orientation <= 8;
    const scale = reducedJpegScale(format, width, height, reduced);
    const base = {
      format,
      orientation,
      displayWidth: swapped ? height : width,
      displayHeight: swapped ? width : height,
      frames,
      decodeScale: scale,
      stripFrames,
    };
    if (meta.depth === 'ushort' && meta.channels === 1) {
      return { ...base, pixels: await decodeGrey16Clipped(input, sharpOptions, seconds) };
    }
    let pipeline = sharp(input, sharpOptions).timeout({ seconds });
    if (scale > 1) {
      // sharp has libjpeg decode at scale / 2 (shrink-on-load) and halves that with Lanczos-3.
      pipeline = pipeline.resize({
        width: width / scale,
        height: height / scale,
        fit: 'fill',
        fastShrinkOnLoad: true,
      });
    }
    let raw: { data: Buffer; info: sharp.OutputInfo };
    try {
      // Alpha only when the file has it: PDQ ignores it and blockhash needs it only for transparent pixels, and
      // adding an opaque alpha band costs a copy of every pixel (~15% of a JPEG decode).
      pipeline = pipeline.toColourspace('srgb');
      if (meta.hasAlpha) pipeline = pipeline.ensureAlpha();
      raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw classifySharpError(err);
    }
    const pixels: RawImage = {
      data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
      width: raw.info.width,
      height: raw.info.height,
      channels: raw.info.channels,
    };
    return { ...base, pixels: pixels.channels > 4 ? firstFourChannels(pixels) : pixels };
  };
  return withDeadline(
    work(),
    limits.timeoutMs,
    () => new HashingError(HashingErrorCode.TIMEOUT, `decoding took longer than ${limits.timeoutMs} ms`),
  );
}
