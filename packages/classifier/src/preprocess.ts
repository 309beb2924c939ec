import sharp from 'sharp';
import {
  HashingError,
  apngFirstShownFrame,
  apngFrameCount,
  checkDecodedBytes,
  checkJpegScans,
  imageHeaderOf,
  sniffImageFormat,
  withDeadline,
} from '@mod/hashing';
import { ClassifierError, ClassifierErrorCode } from './errors.js';

/** Already-decoded pixels: tightly packed 8-bit RGB, row-major, `width * height * 3` bytes. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/** What the classifier accepts: encoded bytes (JPEG, PNG, WebP, GIF, AVIF, TIFF...) or decoded RGB. */
export type ImageInput = Uint8Array | RgbImage;

export interface DecodeLimits {
  /** Largest encoded input accepted. */
  readonly maxInputBytes: number;
  /** Largest width*height accepted (checked by sharp before decoding the pixels). */
  readonly maxInputPixels: number;
  /**
   * Most memory one decode may hold, estimated from the header before any pixel is decoded: the scanner's check
   * (`@mod/hashing`'s `checkDecodedBytes`), so a 1 MB 16-bit interlaced PNG that decodes to 1.2 GB is refused here too.
   */
  readonly maxDecodedBytes: number;
  /** Wall-clock budget of one decode (libvips' own timeout and a race around it). */
  readonly decodeTimeoutMs: number;
}

/** Pixels prepared for the models, all plain data. */
export interface PreparedImage {
  /** Size of the (EXIF-oriented) input. */
  readonly width: number;
  readonly height: number;
  /** `size x size` RGB: the whole image stretched to the NSFW model's input (no crop, so nothing is hidden). */
  readonly nsfwRgb: Uint8Array;
  /** A copy at most `workingMaxSidePx` on its longer side, for face detection and crops; absent when not asked for. */
  readonly working: RgbImage | undefined;
  /** Frames in the file, from its header (an animated PNG's from its acTL chunk); 1 for a still image. */
  readonly frames: number;
}

export function isRgbImage(input: ImageInput): input is RgbImage {
  return !(input instanceof Uint8Array);
}

function decodeError(message: string, cause?: unknown): ClassifierError {
  return new ClassifierError(ClassifierErrorCode.DECODE, message, { cause });
}

function source(input: ImageInput, limits: DecodeLimits): sharp.Sharp {
  if (isRgbImage(input)) {
    const { width, height, data } = input;
    if (
      !Number.isSafeInteger(width) ||
      !Number.isSafeInteger(height) ||
      width < 1 ||
      height < 1 ||
      input.channels !== 3
    ) {
      throw decodeError('RGB image needs positive integer width and height and channels 3');
    }
    if (width * height > limits.maxInputPixels) {
      throw new ClassifierError(
        ClassifierErrorCode.TOO_LARGE,
        `image has ${width * height} pixels, limit ${limits.maxInputPixels}`,
      );
    }
    if (!(data instanceof Uint8Array) || data.byteLength !== width * height * 3) {
      throw decodeError(
        `RGB image of ${width}x${height} needs ${width * height * 3} bytes, got ${data?.byteLength}`,
      );
    }
    return sharp(data, { raw: { width, height, channels: 3 } });
  }
  if (input.byteLength === 0) throw decodeError('image is empty');
  if (input.byteLength > limits.maxInputBytes) {
    throw new ClassifierError(
      ClassifierErrorCode.TOO_LARGE,
      `image has ${input.byteLength} bytes, limit ${limits.maxInputBytes}`,
    );
  }
  // An animated PNG whose default image is left out of its animation: the frame viewers show first, as the scanner.
  let shown: Uint8Array | null;
  try {
    shown = sniffImageFormat(input) === 'png' ? apngFirstShownFrame(input) : null;
  } catch (err) {
    throw decodeError(err instanceof Error ? err.message : String(err), err);
  }
  // failOn 'error': a truncated but viewable file is still classified (a viewer would show it).
  return sharp(shown ?? input, { limitInputPixels: limits.maxInputPixels, failOn: 'error', animated: false })
    .rotate()
    .flatten({ background: '#ffffff' });
}

/**
 * The header of encoded input, checked before any pixel is decoded: an allowed raster format (the scanner's list:
 * no SVG or PDF), within the pixel limit and the decoded-size budget shared with the scanner. Returns the size as
 * displayed (EXIF orientation applied).
 */
async function checkedHeader(
  input: Uint8Array,
  base: sharp.Sharp,
  limits: DecodeLimits,
): Promise<{ width: number; height: number; frames: number }> {
  const format = sniffImageFormat(input);
  if (format === null)
    throw decodeError('not an allowed image format (JPEG, PNG, GIF, WebP, TIFF, AVIF/HEIF)');
  try {
    // libjpeg reads every scan before libvips' timeout can stop it (the scanner refuses the same JPEGs).
    if (format === 'jpeg') checkJpegScans(input);
  } catch (err) {
    throw decodeError(err instanceof Error ? err.message : String(err), err);
  }
  const meta = await base.metadata();
  if (!meta.width || !meta.height) throw decodeError('image has no dimensions');
  if (meta.width * meta.height > limits.maxInputPixels) {
    throw new ClassifierError(
      ClassifierErrorCode.TOO_LARGE,
      `image has ${meta.width * meta.height} pixels, limit ${limits.maxInputPixels}`,
    );
  }
  try {
    checkDecodedBytes(imageHeaderOf(meta, format, input), limits.maxDecodedBytes);
  } catch (err) {
    if (!(err instanceof HashingError)) throw err;
    throw new ClassifierError(ClassifierErrorCode.TOO_MANY_DECODED_BYTES, err.message, { cause: err });
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const frames = (format === 'png' ? apngFrameCount(input) : meta.pages) ?? 1;
  return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, frames };
}

/**
 * Runs one decode under `decodeTimeoutMs`: libvips stops the pipeline at its own timeout (whole seconds), and the
 * race answers at the deadline even when a loader does not report progress.
 */
function withinTimeout<T>(work: (seconds: number) => Promise<T>, limits: DecodeLimits): Promise<T> {
  return withDeadline(
    work(Math.max(1, Math.ceil(limits.decodeTimeoutMs / 1000))),
    limits.decodeTimeoutMs,
    () =>
      new ClassifierError(
        ClassifierErrorCode.DECODE_TIMEOUT,
        `decoding took longer than ${limits.decodeTimeoutMs} ms`,
      ),
  );
}

function decodeFailure(err: unknown, limits: DecodeLimits): ClassifierError {
  if (err instanceof ClassifierError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new ClassifierError(
      ClassifierErrorCode.TOO_LARGE,
      `image exceeds ${limits.maxInputPixels} pixels`,
      {
        cause: err,
      },
    );
  }
  if (/timeout/i.test(message)) {
    return new ClassifierError(
      ClassifierErrorCode.DECODE_TIMEOUT,
      `decoding took longer than ${limits.decodeTimeoutMs} ms`,
      { cause: err },
    );
  }
  return decodeError(`cannot decode image: ${message}`, err);
}

async function rawRgb(pipeline: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw decodeError(`decoder produced ${info.channels} channels, expected 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: 3,
  };
}

/**
 * Decodes once (EXIF orientation applied, transparency flattened onto white) and derives the model inputs
 * with sharp. Bad bytes fail with MOD_ERR_CLASSIFIER_DECODE, oversized ones with MOD_ERR_CLASSIFIER_TOO_LARGE or,
 * from the header before decoding, MOD_ERR_CLASSIFIER_TOO_MANY_DECODED_BYTES; a slow decode with
 * MOD_ERR_CLASSIFIER_DECODE_TIMEOUT.
 */
export async function prepareImage(
  input: ImageInput,
  nsfwSizePx: number,
  workingMaxSidePx: number | undefined,
  limits: DecodeLimits,
): Promise<PreparedImage> {
  const base = source(input, limits);
  try {
    const { width, height, frames } = isRgbImage(input)
      ? { ...input, frames: 1 }
      : await checkedHeader(input, base, limits);
    return await withinTimeout(async (seconds) => {
      const timed = base.timeout({ seconds });
      // The NSFW input always comes from the original (never from the working copy), so its scores do not
      // depend on whether or how faces are searched.
      const working =
        workingMaxSidePx === undefined
          ? undefined
          : await rawRgb(
              timed
                .clone()
                .resize(workingMaxSidePx, workingMaxSidePx, { fit: 'inside', withoutEnlargement: true }),
            );
      const nsfw = await rawRgb(timed.resize(nsfwSizePx, nsfwSizePx, { fit: 'fill' }));
      return { width, height, nsfwRgb: nsfw.data, working, frames };
    }, limits);
  } catch (err) {
    throw decodeFailure(err, limits);
  }
}

/** Decodes `input` into a working copy at most `maxSidePx` on its longer side (for the face model). */
export async function decodeWorkingCopy(
  input: ImageInput,
  maxSidePx: number,
  limits: DecodeLimits,
): Promise<RgbImage> {
  const base = source(input, limits);
  try {
    if (!isRgbImage(input)) await checkedHeader(input, base, limits);
    return await withinTimeout(
      (seconds) =>
        rawRgb(
          base.timeout({ seconds }).resize(maxSidePx, maxSidePx, { fit: 'inside', withoutEnlargement: true }),
        ),
      limits,
    );
  } catch (err) {
    throw decodeFailure(err, limits);
  }
}

/**
 * Letterboxes `image` into a `sizePx` square (image at the top-left, black elsewhere) and returns the
 * pixels with the scale applied, so detector coordinates map back by dividing by `scale`.
 */
export async function letterbox(
  image: RgbImage,
  sizePx: number,
): Promise<{ rgb: Uint8Array; scale: number }> {
  const scale = sizePx / Math.max(image.width, image.height);
  const w = Math.max(1, Math.min(sizePx, Math.round(image.width * scale)));
  const h = Math.max(1, Math.min(sizePx, Math.round(image.height * scale)));
  const out = await rawRgb(
    sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(w, h, { fit: 'fill' })
      .extend({ top: 0, left: 0, right: sizePx - w, bottom: sizePx - h, background: { r: 0, g: 0, b: 0 } }),
  );
  return { rgb: out.data, scale };
}

/** A square in working-image pixels; it may reach outside the image (that part is filled black). */
export interface SquareBox {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

/** Crops `box` from `image` and resizes it to `sizePx` square with sharp, black outside the image. */
export async function cropSquare(image: RgbImage, box: SquareBox, sizePx: number): Promise<Uint8Array> {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.side));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.side));
  if (x1 - x0 < 1 || y1 - y0 < 1 || box.side < 1) return new Uint8Array(sizePx * sizePx * 3);
  const k = sizePx / box.side;
  const w = Math.max(1, Math.min(sizePx, Math.round((x1 - x0) * k)));
  const h = Math.max(1, Math.min(sizePx, Math.round((y1 - y0) * k)));
  const left = Math.min(sizePx - w, Math.max(0, Math.round((x0 - box.x) * k)));
  const top = Math.min(sizePx - h, Math.max(0, Math.round((y0 - box.y) * k)));
  const out = await rawRgb(
    sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
      .resize(w, h, { fit: 'fill' })
      .extend({
        left,
        top,
        right: sizePx - w - left,
        bottom: sizePx - h - top,
        background: { r: 0, g: 0, b: 0 },
      }),
  );
  return out.data;
}
