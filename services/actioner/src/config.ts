import { commonSpec, env } from '@mod/config';

export const actionerSpec = {
  ...commonSpec,
  ACTIONER_GROUP_ID: env.string({ default: 'mod-actioner', doc: 'Kafka consumer group of the actioners' }),
  OUTBOX_POLL_INTERVAL_MS: env.integer({
    default: 250,
    min: 10,
    doc: 'how often the outbox relay looks for messages',
  }),
  POLICY_VERSION: env.string({ default: '2026-11-28.1', doc: 'version recorded with every decision' }),
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
} as const;
