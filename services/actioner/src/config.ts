import { commonSpec, deadLettersSpec, env } from '@mod/config';
import { policySpec } from '@mod/policy';
import { vaultRetentionSpec } from '@mod/vault';
import { personalDataRetentionSpec } from './personal-data-retention.js';

/**
 * Order lifecycle settings: the scheduler and webhooks. The policy's legal bases, deadlines and intervals
 * (`policySpec`, shared with the API) are configuration too, never code.
 */
export const lifecycleSpec = {
  ORDER_SCHEDULER_INTERVAL_MS: env.milliseconds({
    default: 30_000,
    min: 0,
    doc: 'how often deadlines, re-notices, verification, webhooks, evidence retention, report routing and personal-data retention are processed; 0 = only when called (tests; warned at start-up)',
  }),
  VERIFY_INCONCLUSIVE_GRACE_HOURS: env.number({
    default: 24,
    min: 0,
    max: 24 * 365,
    doc: 'hours past its deadline a takedown the platform answered actioned in time may stay unverifiable (every re-fetch inconclusive: timeouts, 5xx) before it is escalated to its authority as "verification inconclusive"; one answered late is escalated at its first inconclusive re-fetch',
  }),
  WEBHOOK_TIMEOUT_MS: env.milliseconds({
    default: 10_000,
    min: 100,
    doc: 'time a webhook receiver has to answer',
  }),
  WEBHOOK_MAX_ATTEMPTS: env.integer({
    default: 12,
    min: 1,
    max: 100,
    doc: 'attempts before a delivery fails',
  }),
  WEBHOOK_BACKOFF_BASE_MS: env.milliseconds({
    default: 1000,
    min: 1,
    doc: 'delay before the second attempt',
  }),
  WEBHOOK_BACKOFF_MAX_MS: env.milliseconds({
    default: 3_600_000,
    min: 1,
    doc: 'largest delay between attempts',
  }),
} as const;

/** Citizens' reports: how long the router waits on the pipeline before a person assesses a reported URL. */
export const reportRoutingSpec = {
  REPORT_REROUTE_AFTER_MS: env.milliseconds({
    default: 120_000,
    min: 1_000,
    doc: 'a reported URL the pipeline made nothing of after this long is sent again (REPORT_MAX_ROUTE_ATTEMPTS times, then a person assesses it)',
  }),
  REPORT_MAX_ROUTE_ATTEMPTS: env.integer({
    default: 3,
    min: 1,
    max: 20,
    doc: 'sends of a reported URL before a person assesses it bare',
  }),
  REPORT_CLASSIFICATION_WAIT_MS: env.milliseconds({
    default: 60_000,
    min: 0,
    doc: "how long a reported URL's scanned content waits for the classifier before a review case opens without it",
  }),
  REPORT_ACTION_WAIT_MS: env.milliseconds({
    default: 60_000,
    min: 0,
    doc: 'how long a matched reported URL waits for its orders before a person looks',
  }),
} as const;

export const actionerSpec = {
  ...commonSpec,
  ...deadLettersSpec,
  ACTIONER_GROUP_ID: env.string({ default: 'mod-actioner', doc: 'Kafka consumer group of the actioners' }),
  ACTIONER_MAX_IN_FLIGHT: env.integer({
    default: 16,
    min: 1,
    max: 256,
    doc: 'verdicts of one partition handled at once (offsets still commit in order)',
  }),
  ACTIONER_MAX_BATCH: env.integer({
    default: 32,
    min: 1,
    max: 500,
    doc: 'most verdicts one database transaction takes when several wait (group commit; 1: a transaction each)',
  }),
  OUTBOX_POLL_INTERVAL_MS: env.milliseconds({
    default: 250,
    min: 10,
    doc: 'how often the outbox relay looks for messages',
  }),
  ...policySpec,
  ...lifecycleSpec,
  ...reportRoutingSpec,
  ...vaultRetentionSpec,
  ...personalDataRetentionSpec,
} as const;
