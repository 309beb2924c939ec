import { highestRisk, type Classification as ModelResult, type RiskThresholds } from '@mod/classifier';
import type { Classification } from '@mod/contracts';
import type { StoredClassification, StoredFrames } from '@mod/db/submissions';
import { sniffImageFormat } from '@mod/hashing';
import { PAGED_FORMATS } from '@mod/hashing/decode';

/**
 * A multi-frame file's result: every frame the classifier scored (the scanner's frames: `walkFrames` of
 * `@mod/hashing`) is judged by the risk policy, and the file takes the highest risk, with the frame that gave it.
 */

/** The frames of a model result as the cache keeps them; a still image's as one frame, all of it scored. */
export function storedFramesOf(result: ModelResult): StoredFrames {
  const f = result.frames;
  if (f === undefined) return { count: 1, examined: 1, later: [] };
  return {
    count: f.count,
    examined: f.examined,
    later: f.later.map((l) => ({
      index: l.index,
      scores: { ...l.nsfw },
      apparentMinor: { ...l.apparentMinor },
    })),
    ...(f.unexamined === undefined ? {} : { unexamined: f.unexamined }),
  };
}

/**
 * Whether a cached result may stand for these bytes: one stored with its frames, or one stored before frames were
 * scored (its first frame only) of a format that has a single frame. Such a result of a GIF, WebP, TIFF, HEIF or
 * PNG is classified again (and replaces it), so content in later frames is not let pass on the first frame's score.
 */
export function cachedResultStands(stored: StoredClassification, bytes: Uint8Array): boolean {
  if (stored.frames !== undefined) return true;
  const format = sniffImageFormat(bytes);
  return format === null || (!PAGED_FORMATS.has(format) && format !== 'png');
}

/** Frames left unscored by a result, by why (for `mod_classifier_frames_unexamined_total`). */
export function unexaminedFrames(stored: StoredFrames): { reason: string; frames: number } | null {
  const frames = stored.count - stored.examined;
  return frames > 0 ? { reason: stored.unexamined ?? 'frame-limit', frames } : null;
}

const FRAME_STOPS = new Set(['frame-limit', 'time-limit', 'decode-refused', 'no-decoder']);
type Unexamined = NonNullable<Classification['frames']>['unexamined'];

/**
 * The result the classifier publishes from a stored one: the risk policy applied to every scored frame, the file's
 * scores those of the frame with the highest risk, and `frames` for a file of more than one frame.
 */
export function classificationOf(
  stored: StoredClassification,
  thresholds: RiskThresholds,
  cached: boolean,
): Classification {
  const frames = [
    { index: 0, nsfw: stored.scores, apparentMinor: stored.apparentMinor },
    ...(stored.frames?.later ?? []).map((f) => ({
      index: f.index,
      nsfw: f.scores,
      apparentMinor: f.apparentMinor,
    })),
  ];
  const { assessment: risk, frame } = highestRisk(frames, thresholds);
  const top = frames.find((f) => f.index === frame) ?? frames[0]!;
  const f = stored.frames;
  const unexamined = f?.unexamined !== undefined && FRAME_STOPS.has(f.unexamined) ? f.unexamined : undefined;
  return {
    scores: { ...top.nsfw },
    apparentMinor: { ...top.apparentMinor },
    risk: {
      score: risk.score,
      reviewRequired: risk.reviewRequired,
      explanation:
        f === undefined || f.count < 2
          ? risk.explanation
          : `frame ${frame} (from 0), the highest of ${frames.length} scored of ${f.count}: ${risk.explanation}`,
    },
    models: stored.models,
    backend: stored.backend,
    cached,
    ...(f === undefined || f.count < 2
      ? {}
      : {
          frames: {
            count: f.count,
            examined: f.examined,
            scored: frames.length,
            riskFrame: frame,
            ...(unexamined === undefined ? {} : { unexamined: unexamined as Unexamined }),
          },
        }),
  };
}
