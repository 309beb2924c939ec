import { ModError } from '@mod/contracts';

/**
 * Stable error codes of `@mod/hashing`. Never reuse a retired code; keep README.md in sync (a test checks).
 * All are bad input (not retriable) except TIMEOUT, which may be a busy machine, and the pool's failures.
 */
export const HashingErrorCode = {
  /** Zero-byte input. */
  EMPTY: 'MOD_ERR_HASH_EMPTY',
  /** Input larger than `limits.maxBytes`. */
  TOO_LARGE: 'MOD_ERR_HASH_TOO_LARGE',
  /** Magic bytes are not one of the allowed image formats (JPEG, PNG, GIF, WebP, TIFF, AVIF/HEIF). */
  UNSUPPORTED_FORMAT: 'MOD_ERR_HASH_UNSUPPORTED_FORMAT',
  /** Declared width × height above `limits.maxPixels` (decompression bomb), or a side above `maxDimension`. */
  TOO_MANY_PIXELS: 'MOD_ERR_HASH_TOO_MANY_PIXELS',
  /** The header says decoding would hold more than `limits.maxDecodedBytes` (e.g. a 16-bit interlaced PNG). */
  TOO_MANY_DECODED_BYTES: 'MOD_ERR_HASH_TOO_MANY_DECODED_BYTES',
  /** More frames/pages than `limits.maxFrames`. */
  TOO_MANY_FRAMES: 'MOD_ERR_HASH_TOO_MANY_FRAMES',
  /** A JPEG of more scans than `MAX_JPEG_SCANS` (each a pass over the whole image, read before any timeout applies). */
  TOO_MANY_SCANS: 'MOD_ERR_HASH_TOO_MANY_SCANS',
  /** A PNG of more chunks than `MAX_PNG_CHUNKS` (each walked before decoding; libpng walks them too). */
  TOO_MANY_CHUNKS: 'MOD_ERR_HASH_TOO_MANY_CHUNKS',
  /** The decoder rejected the file (truncated, corrupt, inconsistent headers). */
  DECODE_FAILED: 'MOD_ERR_HASH_DECODE_FAILED',
  /** Decoding took longer than `limits.timeoutMs`. */
  TIMEOUT: 'MOD_ERR_HASH_TIMEOUT',
  /** Options or limits were invalid (a programming error on the caller's side). */
  INVALID_OPTIONS: 'MOD_ERR_HASH_INVALID_OPTIONS',
  /** The pool refused or dropped the task before a worker ran it to its end (queue full, pool closed). */
  WORKER_FAILED: 'MOD_ERR_HASH_WORKER_FAILED',
  /**
   * The worker thread running the task ended without answering (an exit, an uncaught error, its heap past the pool's
   * `resourceLimits`): the content may be the cause, or the machine (see the scanner's bound on crashes).
   */
  WORKER_CRASHED: 'MOD_ERR_HASH_WORKER_CRASHED',
  /**
   * The pool failed the task because one of its workers could not start (its module threw at load, its
   * `resourceLimits` exceeded at start: the pool's 'error' event, `guardPoolErrors`): the machine's or the
   * deployment's fault, never the content's.
   */
  WORKER_START_FAILED: 'MOD_ERR_HASH_WORKER_START_FAILED',
} as const;

export type HashingErrorCode = (typeof HashingErrorCode)[keyof typeof HashingErrorCode];

const RETRIABLE: ReadonlySet<string> = new Set([
  HashingErrorCode.TIMEOUT,
  HashingErrorCode.WORKER_FAILED,
  HashingErrorCode.WORKER_CRASHED,
  HashingErrorCode.WORKER_START_FAILED,
]);

/** Every failure of this package. `retriable` is true only for timeouts and worker/pool failures (crashes too). */
export class HashingError extends ModError {
  declare readonly code: HashingErrorCode;

  constructor(
    code: HashingErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(code, message, {
      retriable: options.retriable ?? RETRIABLE.has(code),
      cause: options.cause,
    });
  }
}
