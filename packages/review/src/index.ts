// @mod/review: the review core. Pure: no I/O; stores and routes apply what these functions decide.

export { ReviewRefusalCode, type ReviewRefusal } from './refusals.js';

// The life of a case: open -> claimed -> decided; claims expire; deadlines.
export {
  CaseKinds,
  QueueRoles,
  DECIDERS,
  defaultReviewTimings,
  queueRoleOf,
  kindsInQueue,
  stageOf,
  dueAtFor,
  isOverdue,
  mayWork,
  mayView,
  claimCase,
  releaseCase,
  refuseUnlessClaimer,
  refuseReveal,
  type Actor,
  type CaseKind,
  type CaseStage,
  type CaseView,
  type Claim,
  type QueueRole,
  type ReviewTimings,
} from './case-life.js';

// Decisions and what they lead to.
export {
  Decisions,
  Categories,
  DECISIONS_BY_KIND,
  MAX_REASON_CHARS,
  checkReason,
  decideCase,
  type CaseDecision,
  type Category,
  type Decision,
  type DecisionEffects,
  type DecisionInput,
  type OrderIssuer,
} from './decisions.js';

// Bank proposals: two people, never one.
export {
  ProposalSignals,
  proposalEntries,
  decideProposal,
  type ProposalBank,
  type ProposalEntry,
  type ProposalSignal,
  type ProposalStatus,
  type ProposalVerdict,
  type ProposalView,
} from './proposals.js';

// The queue: filters and keyset cursors.
export {
  QueueStatuses,
  checkQueueFilter,
  encodeCursor,
  decodeCursor,
  type QueueFilter,
  type QueuePosition,
  type QueueStatus,
} from './queue.js';

// Reviewer wellness: previews, reveals, the daily exposure counter.
export {
  defaultReviewSettings,
  PREVIEW_MIN_SIDE,
  PREVIEW_MAX_SIDE,
  PREVIEW_BLUR_SIGMA,
  changeReviewSettings,
  previewOptions,
  exposureDay,
  checkReveal,
  exposureStanding,
  exposureDayRefusal,
  EXPOSURE_NEAR_SHARE,
  EXPOSURE_DAYS_BACK,
  type ExposureStanding,
  type ReviewSettings,
} from './wellness.js';

// Texts people read, in Vietnamese and English.
export {
  Languages,
  DecisionLabels,
  CategoryLabels,
  RefusalTexts,
  refusalText,
  type Language,
} from './texts.js';

// Settings (`REVIEW_*`), validated at start-up.
export { reviewSpec, reviewFromConfig } from './config.js';
