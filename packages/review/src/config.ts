import { env, type ConfigOf } from '@mod/config';
import type { ReviewTimings } from './case-life.js';

/** The review queues' settings (the API serves the queues, decisions, previews and reveals). */
export const reviewSpec = {
  REVIEW_CLAIM_MINUTES: env.number({
    default: 30,
    min: 1,
    max: 24 * 60,
    doc: 'minutes a claim on a case lasts without a decision (claiming again renews it)',
  }),
  REVIEW_DEADLINE_HOURS: env.number({
    default: 24,
    min: 0.1,
    max: 24 * 30,
    doc: 'hours within which a review case should be decided (mod_review_overdue counts those past it)',
  }),
  REVIEW_ESCALATION_DEADLINE_HOURS: env.number({
    default: 24,
    min: 0.1,
    max: 24 * 30,
    doc: 'hours within which an authority should decide a case escalated to it',
  }),
  REVIEW_DAILY_REVEAL_LIMIT: env.integer({
    default: 0,
    min: 0,
    max: 100_000,
    doc: 'full-image reveals a person may make per day (0: no limit; every reveal is counted and audited)',
  }),
  REVIEW_DAILY_PREVIEW_LIMIT: env.integer({
    default: 0,
    min: 0,
    max: 100_000,
    doc: 'case previews a person may be shown per day, apart from reveals (0: no limit; every preview is counted and audited)',
  }),
  REVIEW_DAY_UTC_OFFSET_MINUTES: env.integer({
    default: 420,
    min: -720,
    max: 840,
    doc: "the reviewers' time zone, minutes east of UTC (Vietnam: 420): when the daily exposure counter starts again",
  }),
} as const;

/** The review settings of a validated configuration. */
export function reviewFromConfig(config: ConfigOf<typeof reviewSpec>): {
  timings: ReviewTimings;
  dailyRevealLimit: number;
  dailyPreviewLimit: number;
  dayUtcOffsetMinutes: number;
} {
  return {
    timings: {
      claimMinutes: config.REVIEW_CLAIM_MINUTES,
      reviewDeadlineHours: config.REVIEW_DEADLINE_HOURS,
      escalationDeadlineHours: config.REVIEW_ESCALATION_DEADLINE_HOURS,
    },
    dailyRevealLimit: config.REVIEW_DAILY_REVEAL_LIMIT,
    dailyPreviewLimit: config.REVIEW_DAILY_PREVIEW_LIMIT,
    dayUtcOffsetMinutes: config.REVIEW_DAY_UTC_OFFSET_MINUTES,
  };
}
