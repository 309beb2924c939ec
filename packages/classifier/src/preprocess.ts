import sharp from 'sharp';
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
  // failOn 'error': a truncated but viewable file is still classified (a viewer would show it).
  return sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'error', animated: false })
    .rotate()
    .flatten({ background: '#ffffff' });
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
 * with sharp. Bad bytes fail with MOD_ERR_CLASSIFIER_DECODE, oversized ones with MOD_ERR_CLASSIFIER_TOO_LARGE.
 */
export async function prepareImage(
  input: ImageInput,
  nsfwSizePx: number,
  workingMaxSidePx: number | undefined,
  limits: DecodeLimits,
): Promise<PreparedImage> {
  const base = source(input, limits);
  try {
    let width: number;
    let height: number;
    if (isRgbImage(input)) {
      ({ width, height } = input);
    } else {
      const meta = await base.metadata();
      if (meta.width === undefined || meta.height === undefined) throw decodeError('image has no dimensions');
      const swap = (meta.orientation ?? 1) >= 5;
      width = swap ? meta.height : meta.width;
      height = swap ? meta.width : meta.height;
    }
    // The NSFW input always comes from the original (never from the working copy), so its scores do not
    // depend on whether or how faces are searched.
    const working =
      workingMaxSidePx === undefined
        ? undefined
        : await rawRgb(
            base
              .clone()
              .resize(workingMaxSidePx, workingMaxSidePx, { fit: 'inside', withoutEnlargement: true }),
          );
    const nsfw = await rawRgb(base.resize(nsfwSizePx, nsfwSizePx, { fit: 'fill' }));
    return { width, height, nsfwRgb: nsfw.data, working };
  } catch (err) {
    if (err instanceof ClassifierError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new ClassifierError(
        ClassifierErrorCode.TOO_LARGE,
        `image exceeds ${limits.maxInputPixels} pixels`,
        { cause: err },
      );
    }
    throw decodeError(`cannot decode image: ${message}`, err);
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
    return await rawRgb(base.resize(maxSidePx, maxSidePx, { fit: 'inside', withoutEnlargement: true }));
  } catch (err) {
    if (err instanceof ClassifierError) throw err;
    throw decodeError(`cannot decode image: ${err instanceof Error ? err.message : String(err)}`, err);
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
