import {
  defineWorkerService,
  labelledCounter,
  type WorkerService,
  type WorkerServiceOptions,
  type WorkerServiceParts,
} from '@mod/bootstrap';
import type { ConfigOf } from '@mod/config';
import { orderPerceptualHashes, type OrderTopics } from '@mod/db/orders';
import type { RelayLoop } from '@mod/kafka';
import { policyFromConfig as policyOf, type PolicyConfig } from '@mod/policy';
import { createPgEvidenceStore } from '@mod/db/vault';
import { createMasterKeyring, retentionFromConfig } from '@mod/vault';
import { createPgActionStore } from './action-store.js';
import { createActionStep, type ActionFaults } from './action-step.js';
import { createClassificationStep } from './classification-step.js';
import { systemClock, type Clock } from './clock.js';
import type { actionerSpec } from './config.js';
import {
  createEvidenceRetention,
  createEvidenceRetentionMetrics,
  type EvidenceRetention,
} from './evidence-retention.js';
import { createOrderLifecycle, type OrderLifecycle, type WebhookSender } from './lifecycle.js';
import { createReportRouter, type ReportRouter } from './report-router.js';
import {
  createPersonalDataMetrics,
  createPersonalDataRetention,
  type PersonalDataRetention,
} from './personal-data-retention.js';
import { createLifecycleMetrics } from './metrics.js';
import { createOutboxRelay } from './relay.js';
import { createFetchVerifier, type Verifier } from './verifier.js';
import { createSafeBodyFetcher } from './safe-verifier.js';
import { createVerificationHasher } from './verification-hasher.js';

export type ActionerConfig = ConfigOf<typeof actionerSpec>;

export interface ActionerService extends WorkerService {
  /** Deadlines, re-notices, verification, webhooks: runs on a timer, or when tests call `tick()`. */
  lifecycle: OrderLifecycle;
  /** Citizens' reports through handling: runs after each lifecycle pass, or when tests call `pass()`. */
  reportRouter: ReportRouter;
  /** The evidence vault's retention: runs after each lifecycle pass, or when tests call `sweep()`. */
  evidenceRetention: EvidenceRetention;
  /** Personal data erased when its retention ends: runs after each report routing pass, or when tests call `pass()`. */
  personalDataRetention: PersonalDataRetention;
  /** Publishes every committed outbox message now. */
  drainOutbox(): Promise<number>;
}

/** Seams for tests and for wiring other implementations (e.g. the SSRF-safe fetcher as verifier). */
export interface ActionerOptions extends WorkerServiceOptions {
  clock?: Clock;
  verifier?: Verifier;
  webhookSender?: WebhookSender;
  /** Jitter source for webhook backoff. */
  random?: () => number;
  faults?: ActionFaults & { beforePublish?: () => void };
}

/** The policy the actioner applies (the API's case confirmations read the same settings: `policySpec`). */
export function policyFromConfig(config: ActionerConfig): PolicyConfig {
  return policyOf(config);
}

export const createActionerService = defineWorkerService(
  { role: 'actioner', dbConnections: 5 },
  actionerService,
);

function actionerService(parts: WorkerServiceParts<ActionerConfig, ActionerOptions>): ActionerService {
  const { worker, config, logger, registry, options } = parts;
  const { topics, kafka, db, tracing } = worker;
  // 0 runs the passes only when called (tests): a deployment that set it (meaning 'no wait') would miss every
  // deadline escalation, re-notice, verification, webhook, evidence destruction, report routing and erasure of personal data, silently.
  if (config.ORDER_SCHEDULER_INTERVAL_MS === 0)
    logger.warn(
      'order scheduler off (ORDER_SCHEDULER_INTERVAL_MS=0): no deadline escalations, re-notices, verification, webhooks, evidence retention, report routing or personal-data retention run unless called',
    );
  const orderTopics: OrderTopics = { prefix: config.TOPIC_PREFIX };
  const store = createPgActionStore(db, orderTopics);
  const clock = options.clock ?? systemClock;
  const orders = labelledCounter(registry, {
    name: 'mod_actioner_orders_total',
    help: 'Orders opened',
    label: 'kind',
  });
  const classificationOutcomes = labelledCounter(registry, {
    name: 'mod_actioner_classifications_total',
    help: 'Classifier results recorded, by what they led to (review, none, matched)',
    label: 'outcome',
  });
  const policy = policyFromConfig(config);
  // Re-fetched images are hashed as the scanner does, to tell the same picture re-saved (no thread before the first).
  const hasher = createVerificationHasher(logger);
  const lifecycle = createOrderLifecycle({
    db,
    clock,
    topics: orderTopics,
    logger,
    metrics: createLifecycleMetrics(registry),
    confirmingAuthority: policy.confirmingAuthority,
    tracer: tracing.tracer,
    // Verification re-fetches through the SSRF-safe fetcher unless a test injects its own verifier.
    verifier:
      options.verifier ??
      createFetchVerifier(createSafeBodyFetcher(), {
        stored: (orderId) => orderPerceptualHashes(db, orderId),
        hash: hasher.hash,
      }),
    verification: { inconclusiveGraceMs: config.VERIFY_INCONCLUSIVE_GRACE_HOURS * 3_600_000 },
    ...(options.webhookSender === undefined ? {} : { sender: options.webhookSender }),
    webhook: {
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      backoff: {
        baseMs: config.WEBHOOK_BACKOFF_BASE_MS,
        maxMs: config.WEBHOOK_BACKOFF_MAX_MS,
        ...(options.random === undefined ? {} : { random: options.random }),
      },
    },
  });
  const evidenceRetention = createEvidenceRetention({
    // Retention needs no master key: it destroys, it never opens.
    store: createPgEvidenceStore(db, { keyring: createMasterKeyring({ current: '' }) }),
    policy: retentionFromConfig(config),
    batchSize: config.VAULT_SWEEP_BATCH,
    clock,
    logger,
    metrics: createEvidenceRetentionMetrics(registry),
  });
  const reportRouter = createReportRouter({
    db,
    clock,
    logger,
    registry,
    urlObservedTopic: topics.urlObserved,
    policyVersion: policy.version,
    timings: {
      rerouteAfterMs: config.REPORT_REROUTE_AFTER_MS,
      maxRouteAttempts: config.REPORT_MAX_ROUTE_ATTEMPTS,
      classificationWaitMs: config.REPORT_CLASSIFICATION_WAIT_MS,
      actionWaitMs: config.REPORT_ACTION_WAIT_MS,
    },
  });
  const personalDataRetention = createPersonalDataRetention({
    db,
    clock,
    logger,
    erased: createPersonalDataMetrics(registry),
    reportTextDays: config.REPORT_TEXT_RETENTION_DAYS,
    reportedUrlDays: config.REPORT_URL_RETENTION_DAYS,
    observedUrlDays: config.OBSERVED_URL_RETENTION_DAYS,
    batchSize: config.PERSONAL_DATA_ERASE_BATCH,
  });
  let relay: RelayLoop | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const schedule = () => {
    if (config.ORDER_SCHEDULER_INTERVAL_MS === 0 || stopped) return;
    timer = setTimeout(() => {
      ticking = lifecycle
        .tick()
        .catch((err: unknown) => logger.warn({ err }, 'order lifecycle pass failed; will retry'))
        .then(() => evidenceRetention.sweep())
        .catch((err: unknown) => logger.warn({ err }, 'evidence retention pass failed; will retry'))
        .then(() => reportRouter.pass())
        .catch((err: unknown) => logger.warn({ err }, "citizens' report routing pass failed; will retry"))
        .then(() => personalDataRetention.pass())
        .catch((err: unknown) => logger.warn({ err }, 'personal-data retention pass failed; will retry'))
        .finally(schedule);
    }, config.ORDER_SCHEDULER_INTERVAL_MS);
  };

  return {
    lifecycle,
    evidenceRetention,
    reportRouter,
    personalDataRetention,
    drainOutbox: () => relay?.drain() ?? Promise.resolve(0),
    checks: worker.checks(),
    async start() {
      stopped = false;
      const producer = await worker.open(['verdicts', 'classifications']);
      relay = createOutboxRelay({
        db,
        kafka,
        producer,
        topics: orderTopics,
        logger,
        tracer: tracing.tracer,
        intervalMs: config.OUTBOX_POLL_INTERVAL_MS,
        ...(options.faults?.beforePublish === undefined
          ? {}
          : { faults: { beforePublish: options.faults.beforePublish } }),
      });
      relay.start();
      const verdicts = worker.consume({
        groupId: config.ACTIONER_GROUP_ID,
        topics: [topics.verdicts],
        stepName: 'action',
        step: createActionStep({
          store,
          policy,
          orders,
          logger,
          clock,
          maxBatch: config.ACTIONER_MAX_BATCH,
          ...(options.faults === undefined ? {} : { faults: options.faults }),
        }),
        maxInFlight: config.ACTIONER_MAX_IN_FLIGHT,
      });
      // The classifier's later results, in a group of their own: a slow model never holds verdicts back.
      const classifications = worker.consume({
        groupId: `${config.ACTIONER_GROUP_ID}.classifications`,
        topics: [topics.classifications],
        stepName: 'classification',
        step: createClassificationStep({
          store,
          policy,
          outcomes: classificationOutcomes,
          logger,
          clock,
        }),
      });
      await Promise.all([verdicts, classifications]);
      schedule();
      logger.info({ topics: [topics.verdicts, topics.classifications] }, 'actioner started');
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await worker.stop();
      await relay?.stop();
      await relay?.drain().catch(() => 0);
      await hasher.close();
      await worker.close();
    },
  };
}
