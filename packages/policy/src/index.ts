export {
  evaluateVerdict,
  defaultPolicy,
  type PolicyConfig,
  type PolicyDecision,
  type PlannedOrder,
} from './policy.js';
