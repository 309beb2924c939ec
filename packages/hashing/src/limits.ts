import { HashingError, HashingErrorCode } from './errors.js';

/** Resource limits applied before and during decoding; every one exists because hostile input exists. */
export interface DecodeLimits {
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Largest accepted width × height of the (first) frame, checked from the header before decoding. */
  maxPixels: number;
  /** Largest accepted number of frames/pages (animated GIF/WebP, multi-page TIFF). */
  maxFrames: number;
  /** Wall-clock budget for decoding, in milliseconds. */
  timeoutMs: number;
  /**
   * Largest memory one decode may hold, in bytes, estimated from the header before any pixel is decoded
   * (`decodedBytes`): output pixels plus what the loader keeps whole (interlaced PNG, progressive JPEG, GIF, WebP,
   * AVIF). `maxPixels` alone lets a 1 MB 16-bit interlaced PNG of 10000×10000 take 1.2 GB.
   */
  maxDecodedBytes: number;
  /** Optional cap on either side, in pixels (catches 1×10⁸ strips that pass `maxPixels`). */
  maxDimension?: number;
}

/**
 * Defaults sized for photos: 50 MB, 100 MP (a 12 MP phone photo is well inside), 1000 frames,
 * 10 s, no side longer than 30 000 px, 512 MiB decoded (a 100 MP 8-bit RGB JPEG is 300 MB, a 12 MP photo 36 MB;
 * two decoding threads fit the scanner's and the classifier's Helm memory limits: README.md, Limits).
 */
export const defaultDecodeLimits: DecodeLimits = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 100_000_000,
  maxFrames: 1000,
  timeoutMs: 10_000,
  maxDimension: 30_000,
  maxDecodedBytes: 512 * 1024 * 1024,
});

/** Merges partial limits over the defaults and validates them (positive integers). */
export function resolveLimits(partial: Partial<DecodeLimits> | undefined): DecodeLimits {
  const limits: DecodeLimits = { ...defaultDecodeLimits, ...partial };
  for (const key of [
    'maxBytes',
    'maxPixels',
    'maxFrames',
    'timeoutMs',
    'maxDimension',
    'maxDecodedBytes',
  ] as const) {
    const v = limits[key];
    if (v === undefined && key === 'maxDimension') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new HashingError(HashingErrorCode.INVALID_OPTIONS, `limits.${key} must be a positive integer`);
    }
  }
  return limits;
}

/**
 * Distinct frames of a multi-frame file hashed by default (`hashMedia`'s `maxHashedFrames`, scanner
 * `HASH_MAX_FRAMES`): past them, the media is matched on what was hashed and reported incomplete (`MediaFrames`).
 */
export const defaultMaxHashedFrames = 128;

/** Frames examined at most per distinct frame hashed: identical frames (a pause) cost a compare, not the bound. */
export const FRAMES_EXAMINED_PER_HASHED = 4;
