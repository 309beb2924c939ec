import { decodeImage, PAGED_FORMATS } from './decode.js';
import type { DecodedImage, DecodeOptions } from './decode.js';
import { HashingError } from './errors.js';
import type { RawImage } from './images.js';
import { FRAMES_EXAMINED_PER_HASHED } from './limits.js';
import type { DecodeLimits } from './limits.js';

/** The perceptual hashes of one frame (the top-level ones of `MediaHashes` are frame 0's). */
export interface PerceptualHashes {
  pdq: string;
  pdqQuality: number;
  pdqDihedral?: string[];
  pdqTrimmed?: { pdq: string; pdqQuality: number } | null;
  blockhash: string;
}

/** One hashed frame of a multi-frame file: its index from 0 and its perceptual hashes. */
export interface FrameHashes extends PerceptualHashes {
  index: number;
}

/**
 * The frames of a multi-frame file (animated GIF, WebP or PNG; multi-page TIFF, HEIF) and what was hashed of them.
 * Frames `examined` to `count − 1` were not looked at (`README.md`, Frames): past `maxHashedFrames` distinct frames,
 * past `FRAMES_EXAMINED_PER_HASHED` times that many frames, past half the decode time, a frame the decoder refused,
 * or an animated PNG's frames after its first shown one (libvips decodes no other).
 */
export interface MediaFrames {
  /** Frames in the file. */
  count: number;
  /** Leading frames decoded and compared: frames 0 to `examined − 1`. Below `count` when some were not. */
  examined: number;
  /** Every distinct frame examined (a frame identical to the one before it is not hashed again), frame 0 first. */
  hashed: FrameHashes[];
  /** Why frames `examined` to `count − 1` were not hashed; absent when every frame was (`walkFrames`' `stopped`). */
  unexamined?: FramesStop;
}

/** Frame `k` of a strip of `frames` frames stacked top to bottom, as a view (no copy). */
export function frameOf(strip: RawImage, frames: number, k: number): RawImage {
  const height = strip.height / frames;
  const size = strip.width * height * strip.channels;
  return { ...strip, height, data: strip.data.subarray(k * size, (k + 1) * size) };
}

/** Whether two frames have the same pixels (a memcmp). */
function samePixels(a: RawImage, b: RawImage): boolean {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) return false;
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );
}

export interface FrameWalk {
  /** Distinct frames to hash at most (frame 0 included). */
  maxHashedFrames: number;
  /** Hashes one frame. */
  hash: (pixels: RawImage) => PerceptualHashes;
  /** Frame 0's hashes, computed already. */
  first: PerceptualHashes;
  decode?: DecodeOptions;
}

/** Why a walk ended before a file's last frame (`walkFrames`). */
export type FramesStop =
  /** `maxFrames` distinct frames visited, or `FRAMES_EXAMINED_PER_HASHED` times as many examined. */
  | 'frame-limit'
  /** Half of `limits.timeoutMs` spent. */
  | 'time-limit'
  /** The decoder refused a later frame (a broken frame, a limit). */
  | 'decode-refused'
  /** The format's later frames cannot be decoded: libvips reads an animated PNG's first shown frame only. */
  | 'no-decoder';

/** What `walkFrames` visited: frames 0 to `examined − 1` of `count`, each distinct one's value. */
export interface WalkedFrames<T> {
  count: number;
  examined: number;
  visited: { index: number; value: T }[];
  /** Why frames were left unexamined; absent when every frame was examined. */
  stopped?: FramesStop;
}

/** A walk over the distinct leading frames of a multi-frame file (`walkFrames`). */
export interface FrameVisitor<T> {
  /** Distinct frames to visit at most (frame 0 included). */
  maxFrames: number;
  /** Called once per distinct frame after the first, in order; the pixels are a view, valid until it settles. */
  visit: (pixels: RawImage, index: number) => T | Promise<T>;
  /** Frame 0's value, computed already. */
  first: T;
  decode?: DecodeOptions;
}

/**
 * Hashes the distinct leading frames of a multi-frame file whose first decode is `first` (frame 0, and with it the
 * next frames of a GIF or WebP strip): `walkFrames` with the perceptual hashes as each frame's value.
 */
export async function hashFrames(
  bytes: Uint8Array,
  first: DecodedImage,
  limits: DecodeLimits,
  walk: FrameWalk,
): Promise<MediaFrames> {
  const walked = await walkFrames(bytes, first, limits, {
    maxFrames: walk.maxHashedFrames,
    visit: walk.hash,
    first: walk.first,
    ...(walk.decode === undefined ? {} : { decode: walk.decode }),
  });
  return {
    count: walked.count,
    examined: walked.examined,
    hashed: walked.visited.map(({ index, value }) => ({ index, ...value })),
    ...(walked.stopped === undefined ? {} : { unexamined: walked.stopped }),
  };
}

/**
 * Visits the distinct leading frames of a multi-frame file whose first decode is `first`: further strips, or pages,
 * are decoded as needed, each within `limits` (one decode holds at most `maxDecodedBytes`, and only the previous
 * frame is kept across decodes), until `maxFrames` distinct frames are visited, `FRAMES_EXAMINED_PER_HASHED` times
 * as many examined, half of `limits.timeoutMs` spent, or a decode of a later frame fails (the media keeps what was
 * visited, reported incomplete rather than refused: its first frame was hashed, or scored, before this existed).
 * The scanner hashes what it visits (`hashFrames`), the classifier scores it: both look at the same frames.
 */
export async function walkFrames<T>(
  bytes: Uint8Array,
  first: DecodedImage,
  limits: DecodeLimits,
  walk: FrameVisitor<T>,
): Promise<WalkedFrames<T>> {
  const started = performance.now();
  const count = first.frames;
  const cap = Math.min(count, walk.maxFrames * FRAMES_EXAMINED_PER_HASHED);
  const visited: { index: number; value: T }[] = [{ index: 0, value: walk.first }];
  let strip = first;
  let start = 0;
  let previous = frameOf(first.pixels, first.stripFrames, 0);
  let examined = 1;
  let stopped: FramesStop | undefined;
  while (examined < cap && visited.length < walk.maxFrames) {
    if (examined >= start + strip.stripFrames) {
      if (!PAGED_FORMATS.has(first.format)) {
        stopped = 'no-decoder';
        break;
      }
      if (performance.now() - started > limits.timeoutMs / 2) {
        stopped = 'time-limit';
        break;
      }
      // Keep one frame of the previous strip, not the strip, while the next one is decoded.
      previous = { ...previous, data: Uint8Array.from(previous.data) };
      const pages = Math.min(walk.maxFrames - visited.length, cap - examined);
      try {
        strip = await decodeImage(bytes, limits, { ...walk.decode, page: examined, pages });
      } catch (err) {
        if (!(err instanceof HashingError)) throw err;
        stopped = 'decode-refused';
        break;
      }
      start = examined;
    }
    const frame = frameOf(strip.pixels, strip.stripFrames, examined - start);
    if (!samePixels(frame, previous))
      visited.push({ index: examined, value: await walk.visit(frame, examined) });
    previous = frame;
    examined++;
  }
  if (examined < count && stopped === undefined) stopped = 'frame-limit';
  return stopped === undefined ? { count, examined, visited } : { count, examined, visited, stopped };
}
