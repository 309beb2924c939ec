import { blockhash, blockhashAccumulator, BlockhashMethod } from './blockhash.js';
import { decodeImage, STRIP_FORMATS } from './decode.js';
import type { DecodedImage, DecodeOptions, ReducedDecode } from './decode.js';
import { HashingError, HashingErrorCode } from './errors.js';
import { exactHashes } from './exact.js';
import { frameOf, hashFrames } from './frames.js';
import type { MediaFrames, PerceptualHashes } from './frames.js';
import type { RawImage } from './images.js';
import { defaultMaxHashedFrames, resolveLimits } from './limits.js';
import type { DecodeLimits } from './limits.js';
import { pdqFromRaw, pdqHashesFromRaw, PDQ_ZERO_HASH } from './pdq.js';
import { sniffImageFormat } from './sniff.js';
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
  /**
   * Files of more than one frame (animated GIF, WebP, PNG; multi-page TIFF, HEIF): the perceptual hashes of each
   * distinct frame hashed (frame 0's are the top-level ones), and how many frames were examined of how many
   * (`examined < count`: frames past the bound were not hashed). The exact hashes are the file's.
   */
  frames?: MediaFrames;
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
  /**
   * Distinct frames of a multi-frame file to hash at most, frame 0 included (default `defaultMaxHashedFrames`);
   * 1 hashes the first frame only (the file is still reported with its frame count).
   */
  maxHashedFrames?: number;
  /**
   * The SHA-256 of `bytes` (64 lowercase hex digits) as the caller computed it itself from these very bytes, taken
   * as the file's instead of computing it a second time (the scanner hashes them for its decode mark before the pool
   * takes them). Never a digest an event or a platform supplied: it names the content in the verdict.
   */
  sha256?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Frame 0's perceptual hashes, or any frame's: PDQ (dihedral and trimmed when asked) and blockhash. */
function perceptualHashes(pixels: RawImage, dihedral: boolean, trim: boolean): PerceptualHashes {
  // blockhash takes its block sums from PDQ's pass over the pixels (same values as blockhash-core's).
  const blockhashRows = blockhashAccumulator(pixels.width, pixels.height, 16, BlockhashMethod.PRECISE);
  const pdq = pdqHashesFromRaw(pixels, {
    dihedral,
    ...(blockhashRows === null ? {} : { rowSums: blockhashRows }),
  });
  const result: PerceptualHashes = {
    pdq: pdq.pdq.hash,
    pdqQuality: pdq.pdq.quality,
    blockhash: blockhashRows === null ? blockhash(pixels, 16) : blockhashRows.finish(),
  };
  if (dihedral) result.pdqDihedral = pdq.dihedral ?? new Array<string>(8).fill(PDQ_ZERO_HASH);
  if (trim) {
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

/**
 * The first decode: frame 0, and with it as many of an animation's next frames as `maxHashedFrames` asks for and
 * `maxDecodedBytes` holds; `walk` false when no later frame is to be decoded. An animation whose strip the decoder
 * refuses (a frame past the first broken) or that runs past the deadline (many large frames, a loaded machine) is
 * decoded as its first frame alone, as it was before frames were hashed, and reported with one frame examined: a
 * timeout of the whole would have failed the media, and its first frame hashed in a few milliseconds before.
 */
export async function decodeFirst(
  bytes: Uint8Array,
  limits: DecodeLimits,
  decode: DecodeOptions,
  maxHashedFrames: number,
): Promise<{ decoded: DecodedImage; walk: boolean }> {
  // Only an animation's loader is asked for a strip; any other file's decode is as it was (a failure not retried).
  if (maxHashedFrames === 1 || !STRIP_FORMATS.has(sniffImageFormat(bytes) ?? 'jpeg'))
    return { decoded: await decodeImage(bytes, limits, decode), walk: true };
  try {
    return { decoded: await decodeImage(bytes, limits, { ...decode, pages: maxHashedFrames }), walk: true };
  } catch (err) {
    const refused = err instanceof HashingError && FIRST_FRAME_ALONE_AFTER.has(err.code);
    if (refused) return { decoded: await decodeImage(bytes, limits, decode), walk: false };
    throw err;
  }
}

/** Failures of an animation's strip after which its first frame is decoded alone. */
const FIRST_FRAME_ALONE_AFTER: ReadonlySet<string> = new Set([
  HashingErrorCode.DECODE_FAILED,
  HashingErrorCode.TIMEOUT,
]);

/**
 * Decodes `bytes` safely and computes exact, PDQ and blockhash hashes; of every distinct frame of a multi-frame file
 * up to `maxHashedFrames` (`frames`). Throws `HashingError` (stable `code`) for every bad input; a decode past
 * `limits.timeoutMs` is answered `MOD_ERR_HASH_TIMEOUT` once it has ended (it cannot be stopped: see `withDeadline`).
 */
export async function hashMedia(bytes: Uint8Array, options: HashMediaOptions = {}): Promise<MediaHashes> {
  const limits = resolveLimits(options.limits);
  const maxHashedFrames = options.maxHashedFrames ?? defaultMaxHashedFrames;
  if (!Number.isInteger(maxHashedFrames) || maxHashedFrames < 1)
    throw new HashingError(
      HashingErrorCode.INVALID_OPTIONS,
      'maxHashedFrames must be an integer of at least 1',
    );
  if (options.sha256 !== undefined && !SHA256_HEX.test(options.sha256))
    throw new HashingError(HashingErrorCode.INVALID_OPTIONS, 'sha256 must be 64 lowercase hex digits');
  const decode: DecodeOptions =
    options.reducedDecode === undefined ? {} : { reducedDecode: options.reducedDecode };
  const { decoded, walk } = await decodeFirst(bytes, limits, decode, maxHashedFrames);
  const exact = exactHashes(bytes, options.sha256);
  // A file whose EXIF orientation turns it is shown turned: its displayed view is one of the 8 dihedral hashes, which
  // it always gets, so content stored turned with an orientation turning it back is not missed (lossless in JPEG).
  const dihedral = options.dihedral === true || decoded.orientation !== 1;
  const trim = options.trim === true;
  const pixels = decoded.stripFrames === 1 ? decoded.pixels : frameOf(decoded.pixels, decoded.stripFrames, 0);
  const first = perceptualHashes(pixels, dihedral, trim);
  const result: MediaHashes = {
    bytes: bytes.byteLength,
    format: decoded.format,
    width: decoded.displayWidth,
    height: decoded.displayHeight,
    ...exact,
    ...first,
    decodeScale: decoded.decodeScale,
  };
  if (decoded.frames > 1 && !walk) {
    result.frames = {
      count: decoded.frames,
      examined: 1,
      hashed: [{ index: 0, ...first }],
      unexamined: 'decode-refused',
    };
  } else if (decoded.frames > 1) {
    result.frames = await hashFrames(bytes, decoded, limits, {
      maxHashedFrames,
      first,
      decode,
      hash: (frame) => perceptualHashes(frame, dihedral, trim),
    });
  }
  return result;
}
