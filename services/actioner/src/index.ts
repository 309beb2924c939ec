export { actionerSpec } from './config.js';
export {
  createActionerService,
  policyFromConfig,
  type ActionerService,
  type ActionerConfig,
} from './service.js';
export { createActionStep, type ActionStepDeps } from './action-step.js';
export { createOutboxRelay, type OutboxRelay } from './relay.js';
