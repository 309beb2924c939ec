import sharp from 'sharp';
import {
  defaultDecodeLimits,
  HashingError,
  sniffImageFormat,
  type DecodeLimits as HashLimits,
  type RawImage,
} from '@mod/hashing';
import { decodeFirst, decodeImage, PAGED_FORMATS, walkFrames, type FramesStop } from '@mod/hashing/decode';
import { ClassifierError, ClassifierErrorCode } from './errors.js';
import type { NsfwScores } from './nsfw-model.js';
import type { DecodeLimits, RgbImage } from './preprocess.js';

/*
 * The later frames of a multi-frame file (animated GIF or WebP, multi-page TIFF, HEIF): the scanner's frame walk
 * (`walkFrames` of `@mod/hashing`: the distinct leading frames, strips that fit `maxDecodedBytes`, half the decode
 * time), each frame scored by the NSFW model in batches as it is reached, so at most one strip and one batch of
 * model inputs are held at once.
 */

/** Why frames of a multi-frame file were not scored (`@mod/hashing`'s `FramesStop`). */
export type FramesUnexamined = FramesStop;

/** A later frame's NSFW scores. */
export interface LaterFrameScores {
  /** The frame, from 0 (never 0: frame 0 is the file's own result). */
  readonly index: number;
  readonly nsfw: NsfwScores;
}

/** What was scored of a multi-frame file past its first frame. */
export interface LaterFrames {
  /** Frames in the file. */
  readonly count: number;
  /** Leading frames looked at (frames 0 to `examined − 1`); below `count` when some were not. */
  readonly examined: number;
  /** Every distinct frame after the first among those examined (a frame identical to the one before is skipped). */
  readonly later: readonly LaterFrameScores[];
  /** Why frames `examined` to `count − 1` were not scored; absent when every frame was. */
  readonly unexamined?: FramesUnexamined;
  /** The file's EXIF orientation (1..8), applied to every frame as to the first. */
  readonly orientation: number;
}

export interface LaterFramesOptions {
  /** The NSFW model's square input side. */
  readonly sizePx: number;
  readonly limits: DecodeLimits;
  /** Distinct frames scored at most, frame 0 included. */
  readonly maxFrames: number;
  /** Frames per model call. */
  readonly batchSize: number;
  readonly score: (packed: Uint8Array, count: number) => Promise<NsfwScores[]>;
}

/** The scanner's decode limits with the classifier's own byte, pixel, memory and time budgets. */
function hashLimitsOf(limits: DecodeLimits): HashLimits {
  return {
    ...defaultDecodeLimits,
    maxBytes: limits.maxInputBytes,
    maxPixels: limits.maxInputPixels,
    maxDecodedBytes: limits.maxDecodedBytes,
    timeoutMs: limits.decodeTimeoutMs,
  };
}

/**
 * A decoded frame (stored orientation, RGB or straight RGBA) as the first frame is prepared: transparency flattened
 * onto white, then turned as its EXIF orientation says (sharp applies flips before rotations).
 */
function framePipeline(frame: RawImage, orientation: number): sharp.Sharp {
  const { width, height, channels } = frame;
  let p = sharp(frame.data, { raw: { width, height, channels: channels as 3 | 4 } });
  if (channels === 4) p = p.flatten({ background: '#ffffff' });
  switch (orientation) {
    case 2:
      return p.flop();
    case 3:
      return p.rotate(180);
    case 4:
      return p.flip();
    case 5:
      return p.flop().rotate(270);
    case 6:
      return p.rotate(90);
    case 7:
      return p.flop().rotate(90);
    case 8:
      return p.rotate(270);
    default:
      return p;
  }
}

async function rgbOf(pipeline: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: 3,
  };
}

/**
 * Scores the distinct frames after the first of `bytes`, a file of `count` frames (from its header), as the scanner
 * walks them for hashes. Later frames the decoder refuses, or a format whose later frames no decoder reads (an
 * animated PNG: libvips decodes its first shown frame only), leave the file with the frames scored so far and the
 * reason (`unexamined`): the first frame's result stands, as before frames were scored.
 */
export async function scoreLaterFrames(
  bytes: Uint8Array,
  count: number,
  o: LaterFramesOptions,
): Promise<LaterFrames> {
  const format = sniffImageFormat(bytes);
  const stopped = (unexamined: FramesUnexamined, orientation = 1): LaterFrames => ({
    count,
    examined: 1,
    later: [],
    unexamined,
    orientation,
  });
  if (format === null || !PAGED_FORMATS.has(format)) return stopped('no-decoder');
  if (o.maxFrames === 1) return stopped('frame-limit');
  const limits = hashLimitsOf(o.limits);
  let first;
  try {
    first = await decodeFirst(bytes, limits, {}, o.maxFrames);
  } catch (err) {
    if (err instanceof HashingError) return stopped('decode-refused');
    throw err;
  }
  const orientation = first.decoded.orientation;
  if (!first.walk) return stopped('decode-refused', orientation);
  const pixels = o.sizePx * o.sizePx * 3;
  const pending: { index: number; rgb: Uint8Array }[] = [];
  const later: LaterFrameScores[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const packed = new Uint8Array(pending.length * pixels);
    pending.forEach((p, i) => packed.set(p.rgb, i * pixels));
    const scores = await o.score(packed, pending.length);
    pending.forEach((p, i) => later.push({ index: p.index, nsfw: scores[i] as NsfwScores }));
    pending.length = 0;
  };
  const walked = await walkFrames(bytes, first.decoded, limits, {
    maxFrames: o.maxFrames,
    first: null,
    visit: async (frame, index) => {
      const rgb = await rgbOf(framePipeline(frame, orientation).resize(o.sizePx, o.sizePx, { fit: 'fill' }));
      pending.push({ index, rgb: rgb.data });
      if (pending.length >= o.batchSize) await flush();
      return null;
    },
  });
  await flush();
  return {
    count: walked.count,
    examined: walked.examined,
    later,
    ...(walked.stopped === undefined ? {} : { unexamined: walked.stopped }),
    orientation,
  };
}

/**
 * Frame `index` of `bytes` decoded alone (an animation's loader composes it over the frames before) as the face
 * model's working copy, at most `maxSidePx` on its longer side: only for a later frame whose scores pass the face
 * gate, so a file's frames are never all held at this size.
 */
export async function laterFrameWorkingCopy(
  bytes: Uint8Array,
  index: number,
  orientation: number,
  maxSidePx: number,
  limits: DecodeLimits,
): Promise<RgbImage> {
  let decoded;
  try {
    decoded = await decodeImage(bytes, hashLimitsOf(limits), { page: index });
  } catch (err) {
    if (!(err instanceof HashingError)) throw err;
    throw new ClassifierError(ClassifierErrorCode.DECODE, `frame ${index}: ${err.message}`, { cause: err });
  }
  return rgbOf(
    framePipeline(decoded.pixels, orientation).resize(maxSidePx, maxSidePx, {
      fit: 'inside',
      withoutEnlargement: true,
    }),
  );
}
