import { blockhash, blockhashAccumulator, BlockhashMethod } from './blockhash.js';
import { decodeImage } from './decode.js';
import type { ReducedDecode } from './decode.js';
import { exactHashes } from './exact.js';
import { resolveLimits } from './limits.js';
import type { DecodeLimits } from './limits.js';
import { pdqFromRaw, pdqHashesFromRaw, PDQ_ZERO_HASH } from './pdq.js';
import { cropRaw, findContentBox } from './trim.js';

/** Every hash of one media file. Hashes are lowercase hex. */
export interface MediaHashes {
  /** File size in bytes. */
  bytes: number;
  /** Format detected from magic bytes: 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heif'. */
  format: string;
  /** Displayed size, i.e. after EXIF orientation (perceptual hashes use stored pixels, see README). */
  width: number;
  height: number;
  sha256: string;
  sha1: string;
  md5: string;
  /** PDQ, 64 hex digits, and its quality 0..100 (Meta: do not match below 50). */
  pdq: string;
  pdqQuality: number;
  /**
   * The 8 dihedral PDQ hashes (original, rot90, rot180, rot270, flipX, flipY, flip+1, flip−1) when asked, and always
   * when the file's EXIF orientation is not 1 (its displayed view is one of them; `pdq` is of the stored pixels).
   */
  pdqDihedral?: string[];
  /** PDQ of the content area after uniform borders are removed; `null` when there is no border. When asked. */
  pdqTrimmed?: { pdq: string; pdqQuality: number } | null;
  /** blockhash 256-bit (16×16), precise method, 64 hex digits. */
  blockhash: string;
  /** 1 when perceptual hashes saw every pixel; 4, 8 or 16 when a large JPEG was decoded at that reduction. */
  decodeScale: number;
}

export interface HashMediaOptions {
  /** Also compute the 8 dihedral PDQ hashes (mirrored filter weights in the same pass: ~2× the PDQ time). */
  dihedral?: boolean;
  /** Also compute PDQ of the content area with uniform borders removed (letterboxing, padding). */
  trim?: boolean;
  /** Overrides of `defaultDecodeLimits`. */
  limits?: Partial<DecodeLimits>;
  /**
   * Reduced-scale decoding of large JPEGs, e.g. `recommendedReducedDecode` (default `defaultReducedDecode`: `false`,
   * every pixel decoded, as python-threatexchange does).
   */
  reducedDecode?: ReducedDecode | false;
}

/**
 * Decodes `bytes` safely and computes exact, PDQ and blockhash hashes. Throws `HashingError` (stable `code`)
 * for every bad input; a decode past `limits.timeoutMs` is answered `MOD_ERR_HASH_TIMEOUT` once it has ended (it
 * cannot be stopped: see `withDeadline`).
 */
export async function hashMedia(bytes: Uint8Array, options: HashMediaOptions = {}): Promise<MediaHashes> {
  const limits = resolveLimits(options.limits);
  const decoded = await decodeImage(
    bytes,
    limits,
    options.reducedDecode === undefined ? {} : { reducedDecode: options.reducedDecode },
  );
  const pixels = decoded.pixels;
  const exact = exactHashes(bytes);

  // blockhash takes its block sums from PDQ's pass over the pixels (same values as blockhash-core's).
  const blockhashRows = blockhashAccumulator(pixels.width, pixels.height, 16, BlockhashMethod.PRECISE);
  // A file whose EXIF orientation turns it is shown turned: its displayed view is one of the 8 dihedral hashes, which
  // it always gets, so content stored turned with an orientation turning it back is not missed (lossless in JPEG).
  const dihedral = options.dihedral === true || decoded.orientation !== 1;
  const pdq = pdqHashesFromRaw(pixels, {
    dihedral,
    ...(blockhashRows === null ? {} : { rowSums: blockhashRows }),
  });
  const result: MediaHashes = {
    bytes: bytes.byteLength,
    format: decoded.format,
    width: decoded.displayWidth,
    height: decoded.displayHeight,
    ...exact,
    pdq: pdq.pdq.hash,
    pdqQuality: pdq.pdq.quality,
    blockhash: blockhashRows === null ? blockhash(pixels, 16) : blockhashRows.finish(),
    decodeScale: decoded.decodeScale,
  };
  if (dihedral) {
    result.pdqDihedral = pdq.dihedral ?? new Array<string>(8).fill(PDQ_ZERO_HASH);
  }
  if (options.trim === true) {
    const box = findContentBox(pixels);
    if (box === null) {
      result.pdqTrimmed = null;
    } else {
      const trimmed = pdqFromRaw(cropRaw(pixels, box));
      result.pdqTrimmed = { pdq: trimmed.hash, pdqQuality: trimmed.quality };
    }
  }
  return result;
}
