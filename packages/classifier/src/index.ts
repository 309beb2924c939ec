import { fileURLToPath } from 'node:url';

export { ClassifierError, ClassifierErrorCode, ModelChecksumError, toClassifierError } from './errors.js';
export { parseManifest, type ManifestFile, type ModelManifest, type ModelRef } from './manifest.js';
export { readVerifiedModel, type VerifiedModelFiles } from './model-files.js';
export {
  BackendPreference,
  ensureBackend,
  wasmBinaryDir,
  type BackendInfo,
  type BackendOptions,
} from './backend.js';
export { planKerasModel, type KerasPlan, type PlanStep } from './keras-plan.js';
export {
  NSFW_LABELS,
  NSFW_MODEL_ID,
  type NsfwExecutor,
  type NsfwLabel,
  type NsfwScores,
} from './nsfw-model.js';
export { FACE_MODEL_ID, type FaceEstimate } from './face-model.js';
export {
  ageStatistics,
  blazefaceAnchors,
  decodeBlazeface,
  nonMaxSuppression,
  type RawFace,
} from './face-decode.js';
export {
  decodeWorkingCopy,
  prepareImage,
  type DecodeLimits,
  type ImageInput,
  type PreparedImage,
  type RgbImage,
} from './preprocess.js';
export {
  createClassifier,
  resolveClassifierOptions,
  type ApparentMinor,
  type ClassifiedFrames,
  type Classification,
  type ClassificationFailure,
  type Classifier,
  type ClassifierOptions,
  type ClassifierResult,
  type FrameClassification,
} from './classifier.js';
export type { FramesUnexamined } from './frame-scores.js';
export {
  DEFAULT_RISK_THRESHOLDS,
  highestRisk,
  resolveRiskThresholds,
  riskScore,
  safeFaceGate,
  type FrameRiskInput,
  type RiskAssessment,
  type RiskInput,
  type RiskThresholds,
} from './risk.js';
export type { ClassifyTaskInput, ClassifyTaskOutput, ClassifyWorkerData } from './classify-task-types.js';

/** Absolute path of the compiled piscina task file (`@mod/classifier/task`), for `new Piscina({ filename })`. */
export const classifyTaskFilename: string = fileURLToPath(new URL('./classify-task.js', import.meta.url));
