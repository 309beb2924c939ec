import { commonSpec, env } from '@mod/config';
import { vaultRetentionSpec } from '@mod/vault';

/** Order lifecycle settings: legal bases, deadlines and intervals are configuration, never code. */
export const lifecycleSpec = {
  TAKEDOWN_LEGAL_BASIS: env.string({
    default: 'Decree 147/2024/ND-CP (removal within 24 hours of an authority request)',
    doc: 'legal basis cited in automatic takedown orders',
  }),
  TAKEDOWN_DEADLINE_HOURS: env.number({
    default: 24,
    min: 0.01,
    max: 24 * 30,
    doc: 'hours a platform has to remove content (EU TCO: 1)',
  }),
  RENOTICE_INTERVAL_HOURS: env.number({
    default: 24,
    min: 0.01,
    max: 24 * 30,
    doc: 'hours between notices until the target acts',
  }),
  CONFIRMING_AUTHORITY: env.string({
    default: 'Ministry of Information and Communications',
    doc: 'authority that confirms automatic decisions and receives escalations',
  }),
  ORDER_SCHEDULER_INTERVAL_MS: env.integer({
    default: 30_000,
    min: 0,
    doc: 'how often deadlines, re-notices, verification and webhooks are processed; 0 = only when asked',
  }),
  WEBHOOK_TIMEOUT_MS: env.integer({
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
  WEBHOOK_BACKOFF_BASE_MS: env.integer({ default: 1000, min: 1, doc: 'delay before the second attempt' }),
  WEBHOOK_BACKOFF_MAX_MS: env.integer({ default: 3_600_000, min: 1, doc: 'largest delay between attempts' }),
} as const;

export const actionerSpec = {
  ...commonSpec,
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
  OUTBOX_POLL_INTERVAL_MS: env.integer({
    default: 250,
    min: 10,
    doc: 'how often the outbox relay looks for messages',
  }),
  POLICY_VERSION: env.string({ default: '2026-11-28.2', doc: 'version recorded with every decision' }),
  BLOCKING_LEGAL_BASIS: env.string({
    default: 'Decree 147/2024/ND-CP (removal within 24 hours of an authority request)',
    doc: 'legal basis cited in blocking requests',
  }),
  BLOCKING_DEADLINE_HOURS: env.integer({
    default: 24,
    min: 1,
    max: 24 * 30,
    doc: 'hours an ISP has to apply a block',
  }),
  ...lifecycleSpec,
  ...vaultRetentionSpec,
} as const;
