export {
  evaluateVerdict,
  defaultPolicy,
  hostOf,
  type PolicyConfig,
  type PolicyContext,
  type PolicyDecision,
  type PlannedOrder,
  type PlannedCase,
  type OrderRule,
  type OrderSubject,
  type DecisionEvidence,
} from './policy.js';
