import sharp from 'sharp';
import { VaultError, VaultErrorCode } from './errors.js';

/**
 * How a reviewer's preview is made (hotline practice: the full image is shown only on an explicit, audited
 * reveal). Defaults protect: greyscale, heavily blurred, small.
 */
export interface PreviewOptions {
  /** Longest side of the preview, px (never enlarged). Default 320. */
  maxSide?: number;
  /** Gaussian blur sigma at the preview's size, px; 0 = no blur. Default 8. */
  blurSigma?: number;
  /** Output encoding. Default `jpeg`. */
  format?: 'jpeg' | 'webp';
  /** Encoder quality, 1-100. Default 70. */
  quality?: number;
  /** Largest width × height of the source accepted (decompression bombs). Default 100 MP. */
  maxInputPixels?: number;
  /** Time the decoder and encoder may take, seconds. Default 10. */
  timeoutSeconds?: number;
}

export interface Preview {
  bytes: Buffer;
  mediaType: 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
}

function checked(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new VaultError(VaultErrorCode.PREVIEW_FAILED, `preview ${name} must be within ${min}..${max}`);
  return value;
}

/**
 * `@mod/vault/preview`: a greyscale, blurred, reduced re-encoding of an image (first frame, EXIF orientation
 * applied, metadata dropped), made on the server so that a reviewer's browser never receives the original by
 * default. Throws `MOD_ERR_VAULT_PREVIEW_FAILED` when the bytes are not an image the decoder takes or the options
 * are out of range.
 */
export async function renderPreview(bytes: Uint8Array, options: PreviewOptions = {}): Promise<Preview> {
  const maxSide = checked('maxSide', options.maxSide ?? 320, 16, 4096);
  const blurSigma = checked('blurSigma', options.blurSigma ?? 8, 0, 100);
  const quality = checked('quality', options.quality ?? 70, 1, 100);
  const format = options.format ?? 'jpeg';
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let pipeline = sharp(input, {
      failOn: 'error',
      limitInputPixels: options.maxInputPixels ?? 100_000_000,
      pages: 1,
      sequentialRead: true,
    })
      .timeout({ seconds: options.timeoutSeconds ?? 10 })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .greyscale();
    // sharp's blur takes sigma from 0.3; below that the image is left sharp.
    if (blurSigma >= 0.3) pipeline = pipeline.blur(blurSigma);
    pipeline = format === 'webp' ? pipeline.webp({ quality }) : pipeline.jpeg({ quality, mozjpeg: true });
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return {
      bytes: data,
      mediaType: format === 'webp' ? 'image/webp' : 'image/jpeg',
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw new VaultError(VaultErrorCode.PREVIEW_FAILED, 'the evidence could not be decoded for a preview', {
      cause: err,
    });
  }
}
