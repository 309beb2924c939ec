export { actionerSpec, lifecycleSpec } from './config.js';
export {
  createActionerService,
  policyFromConfig,
  type ActionerService,
  type ActionerConfig,
  type ActionerOptions,
} from './service.js';
export { createActionStep, type ActionStepDeps, type ActionFaults } from './action-step.js';
export { createOutboxRelay, orderTopicPrefixes } from './relay.js';
export { systemClock, createManualClock, type Clock, type ManualClock } from './clock.js';
export {
  createOrderLifecycle,
  type OrderLifecycle,
  type LifecycleOptions,
  type TickReport,
  type WebhookSender,
} from './lifecycle.js';
export { createLifecycleMetrics, type LifecycleMetrics } from './metrics.js';
export {
  createFetchVerifier,
  type Verifier,
  type VerificationResult,
  type BodyFetcher,
  type PerceptualCheck,
} from './verifier.js';
export { createVerificationHasher, type VerificationHasher } from './verification-hasher.js';
export {
  signWebhook,
  signatureHeader,
  verifyWebhook,
  WebhookReplayGuard,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  type WebhookCheck,
} from './webhook-signing.js';
export { createSafeBodyFetcher } from './safe-verifier.js';
export { createSafeWebhookSender, type SafeWebhookSenderOptions } from './webhook-sender.js';
export { createPgActionStore, type ActionStore, type ActionTx } from './action-store.js';
