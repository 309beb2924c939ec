export { classifierSpec } from './config.js';
export { createClassifierService, type ClassifierService, type ClassifierConfig } from './service.js';
export {
  createClassifyStep,
  CLASSIFIER_VERSION,
  SkipReason,
  AWAITING_VERDICT,
  DIGEST_MISMATCH,
  type ClassifyStepDeps,
} from './classify-step.js';
export { createMediaClassifier, type MediaClassifier, type ClassifyOutcome } from './media-classifier.js';
