import { env, type ConfigOf } from '@mod/config';
import type { PolicyConfig } from './policy.js';

/**
 * The policy's settings, read by every service that applies policy: the actioner (automatic decisions) and the
 * API (people's confirmations on cases), so that both issue the same orders under the same legal bases and
 * deadlines. Legal bases, deadlines and authority names are configuration, never code.
 */
export const policySpec = {
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
} as const;

/** The policy a service applies, from its validated configuration. */
export function policyFromConfig(config: ConfigOf<typeof policySpec>): PolicyConfig {
  return {
    version: config.POLICY_VERSION,
    blocking: { legalBasis: config.BLOCKING_LEGAL_BASIS, deadlineHours: config.BLOCKING_DEADLINE_HOURS },
    takedown: { legalBasis: config.TAKEDOWN_LEGAL_BASIS, deadlineHours: config.TAKEDOWN_DEADLINE_HOURS },
    renoticeIntervalHours: config.RENOTICE_INTERVAL_HOURS,
    confirmingAuthority: config.CONFIRMING_AUTHORITY,
  };
}
