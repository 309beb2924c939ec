export {
  evaluateVerdict,
  evaluateConfirmedCase,
  decide,
  framesNeedReview,
  ordersFollow,
  defaultPolicy,
  hostOf,
  type ConfirmedContent,
  type PolicyConfig,
  type PolicyContext,
  type PolicyDecision,
  type PlannedOrder,
  type PlannedCase,
  type OrderRule,
  type OrderSubject,
  type DecisionEvidence,
} from './policy.js';
export {
  takedownTarget,
  urlProvenanceOf,
  type TakedownWithheld,
  type UrlProvenance,
} from './takedown-target.js';
export {
  POLICY_ACTOR,
  BY_POLICY,
  caseOpenedRecord,
  classificationRecordedRecord,
  orderIssuedRecord,
  orderToOpen,
  verdictRecordedRecord,
  type AppliedBy,
  type AuditIntent,
  type AuditIntentActor,
  type DecidedContent,
  type OrderToOpen,
} from './records.js';
export {
  issuePlannedOrders,
  openPlannedCases,
  orderTargets,
  type CaseToOpen,
  type DecisionEffects,
  type TargetLookups,
} from './apply.js';
export { CaseReasonCodes, withCaseReason, withoutCaseReason, type CaseReason } from './case-reason.js';
export { policySpec, policyFromConfig } from './config.js';
