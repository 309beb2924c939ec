import { ClassifierError, ClassifierErrorCode } from './errors.js';
import type { NsfwScores } from './nsfw-model.js';

/**
 * Configuration of the review policy. Every field is a plain number so it can be stored next to the
 * decision and the decision recomputed from the record.
 */
export interface RiskThresholds {
  /** A score at or above this opens a review case. 0..1, default 0.7. */
  readonly reviewThreshold: number;
  /** How much of the `sexy` (suggestive, not explicit) probability counts as sexual content. 0..1, default 0.5. */
  readonly sexyWeight: number;
  /**
   * How strongly an apparent minor raises the score of sexual content: score = sexual * (1 + minorWeight * pMinor).
   * 0..10, default 1 (an image that is certainly of a minor needs half the sexual probability to be reviewed).
   */
  readonly minorWeight: number;
}

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = Object.freeze({
  reviewThreshold: 0.7,
  sexyWeight: 0.5,
  minorWeight: 1,
});

/** The part of a classification the policy reads (a stored record has it). */
export interface RiskInput {
  readonly nsfw: NsfwScores;
  readonly apparentMinor: { readonly probability: number };
}

export interface RiskAssessment {
  /** 0..1. */
  readonly score: number;
  readonly reviewRequired: boolean;
  /** One line a reviewer can read: every term of the score with its value, and the threshold. */
  readonly explanation: string;
  /** The terms of the score, for storage and dashboards. */
  readonly components: { readonly sexual: number; readonly minorProbability: number };
  readonly thresholds: RiskThresholds;
}

function checkRange(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new ClassifierError(
      ClassifierErrorCode.INVALID_ARGUMENT,
      `risk threshold ${name} must be a number in 0..${max}`,
    );
  }
  return value;
}

/** Validates thresholds (defaults for absent fields); throws MOD_ERR_CLASSIFIER_INVALID_ARGUMENT. */
export function resolveRiskThresholds(partial: Partial<RiskThresholds> = {}): RiskThresholds {
  const t = { ...DEFAULT_RISK_THRESHOLDS, ...partial };
  return Object.freeze({
    reviewThreshold: checkRange('reviewThreshold', t.reviewThreshold, 1),
    sexyWeight: checkRange('sexyWeight', t.sexyWeight, 1),
    minorWeight: checkRange('minorWeight', t.minorWeight, 10),
  });
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
const f3 = (v: number): string => v.toFixed(3);

/**
 * The review policy, a pure function of the stored scores and the thresholds:
 *   sexual = porn + hentai + sexyWeight * sexy               (clamped to 0..1)
 *   score  = sexual * (1 + minorWeight * pMinor)             (clamped to 0..1)
 * An apparent minor never raises the score of an image without sexual content, so ordinary photos of
 * children are not sent to reviewers; it lowers the bar for sexual content in which a minor appears.
 * The classifier only ever opens review cases from this; it never blocks or takes down by itself.
 */
export function riskScore(result: RiskInput, thresholds: Partial<RiskThresholds> = {}): RiskAssessment {
  const t = resolveRiskThresholds(thresholds);
  const { porn, hentai, sexy } = result.nsfw;
  const sexual = clamp01(clamp01(porn) + clamp01(hentai) + t.sexyWeight * clamp01(sexy));
  const minorProbability = clamp01(result.apparentMinor.probability);
  const score = clamp01(sexual * (1 + t.minorWeight * minorProbability));
  const reviewRequired = score >= t.reviewThreshold;
  const explanation =
    `score ${f3(score)} = sexual ${f3(sexual)} (porn ${f3(porn)} + hentai ${f3(hentai)} + ${t.sexyWeight} x sexy ${f3(sexy)})` +
    ` x (1 + ${t.minorWeight} x apparent-minor ${f3(minorProbability)});` +
    ` review threshold ${t.reviewThreshold}: ${reviewRequired ? 'review required' : 'no review'}`;
  return { score, reviewRequired, explanation, components: { sexual, minorProbability }, thresholds: t };
}

/**
 * The largest `faceMinSexualProbability` (classifier option) that can never change a review decision under
 * these thresholds: below reviewThreshold / (1 + minorWeight) even a certain minor cannot lift the score to
 * the threshold, so the face model may be skipped there (it is most of the classifier's cost per image).
 */
export function safeFaceGate(thresholds: Partial<RiskThresholds> = {}): number {
  const t = resolveRiskThresholds(thresholds);
  return t.reviewThreshold / (1 + t.minorWeight);
}

/** One frame's risk input: its index from 0 (a still image is frame 0). */
export interface FrameRiskInput extends RiskInput {
  readonly index: number;
}

/**
 * The risk of a multi-frame file: the highest over its scored frames (abusive content can follow a benign first
 * frame), and the frame that gave it (the earliest, on a tie). `frames` holds at least frame 0.
 */
export function highestRisk(
  frames: readonly FrameRiskInput[],
  thresholds: Partial<RiskThresholds> = {},
): { assessment: RiskAssessment; frame: number } {
  let best: { assessment: RiskAssessment; frame: number } | undefined;
  for (const f of frames) {
    const assessment = riskScore(f, thresholds);
    if (best === undefined || assessment.score > best.assessment.score) best = { assessment, frame: f.index };
  }
  if (best === undefined)
    throw new ClassifierError(ClassifierErrorCode.INVALID_ARGUMENT, 'highestRisk needs at least one frame');
  return best;
}
