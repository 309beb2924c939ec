import { env } from '@mod/config';
import type { Pool } from '@mod/db';
import { PersonalDataKinds, erasePersonalData, type PersonalDataKind } from '@mod/db/reports';
import { Counter, type Logger, type Registry } from '@mod/telemetry';
import type { Clock } from './clock.js';

/**
 * How long personal data in citizens' reports and observed URLs is kept (the contact details' period is the API's
 * `REPORT_CONTACT_RETENTION_DAYS`, fixed on each at filing; an Idempotency-Key's answer, its window).
 */
export const personalDataRetentionSpec = {
  REPORT_TEXT_RETENTION_DAYS: env.integer({
    default: 365,
    min: 1,
    max: 3650,
    doc: "days after a report's outcome that its description and where-seen are erased (never before the outcome, never under legal hold)",
  }),
  REPORT_URL_RETENTION_DAYS: env.integer({
    default: 365,
    min: 1,
    max: 3650,
    doc: "days after a reported URL's outcome that the report's record of it (and its review case's copies) is erased, once every report naming it has its outcome and no legal hold keeps it",
  }),
  OBSERVED_URL_RETENTION_DAYS: env.integer({
    default: 90,
    min: 1,
    max: 3650,
    doc: "days after receipt that a submission's URL (ISP traffic samples, reported pages and images) is erased, once no open case or report needs it and no legal hold keeps it",
  }),
  PERSONAL_DATA_ERASE_BATCH: env.integer({
    default: 200,
    min: 1,
    max: 10_000,
    doc: 'most rows of one kind of personal data one erasure transaction takes',
  }),
} as const;

/** Rows erased at the end of their retention, by kind. */
export function createPersonalDataMetrics(registry: Registry): Counter<'kind'> {
  return new Counter({
    name: 'mod_personal_data_erased_total',
    help: 'Personal data erased at the end of its retention, by kind (report-text, reporter-contact, report-replay, reported-url, observed-url)',
    labelNames: ['kind'],
    registers: [registry],
  });
}

export interface PersonalDataRetentionOptions {
  db: Pool;
  clock: Clock;
  logger: Logger;
  /** `createPersonalDataMetrics`. */
  erased: Counter<'kind'>;
  /** Days kept: `REPORT_TEXT_RETENTION_DAYS`, `REPORT_URL_RETENTION_DAYS` and `OBSERVED_URL_RETENTION_DAYS`. */
  reportTextDays: number;
  reportedUrlDays: number;
  observedUrlDays: number;
  /** Rows per transaction (`PERSONAL_DATA_ERASE_BATCH`). */
  batchSize: number;
  /** Batches of each kind one pass runs at most, so that a backlog never holds the scheduler. Default 20. */
  maxBatches?: number;
}

export interface PersonalDataRetention {
  /** Erases what is due now, kind by kind; answers how many rows of each kind. */
  pass(): Promise<Record<PersonalDataKind, number>>;
}

/**
 * The retention of personal data, a pass of the actioner's periodic lifecycle (after the report router's): for each
 * kind, batch after batch (each its own short transaction with its audit record, rows shared between actioners with
 * `skip locked`) until nothing more is due or `maxBatches` ran. `mod_personal_data_erased_total{kind}` counts.
 */
export function createPersonalDataRetention(o: PersonalDataRetentionOptions): PersonalDataRetention {
  const maxBatches = o.maxBatches ?? 20;
  const log = o.logger.child({ component: 'personal-data-retention' });
  const periodDays: Record<PersonalDataKind, number> = {
    'report-text': o.reportTextDays,
    'reporter-contact': 0,
    'report-replay': 0,
    'reported-url': o.reportedUrlDays,
    'observed-url': o.observedUrlDays,
  };
  return {
    async pass() {
      const now = o.clock.now();
      const counts = Object.fromEntries(PersonalDataKinds.map((k) => [k, 0])) as Record<
        PersonalDataKind,
        number
      >;
      for (const kind of PersonalDataKinds) {
        for (let batch = 0; batch < maxBatches; batch++) {
          const n = await erasePersonalData(o.db, kind, {
            now,
            periodDays: periodDays[kind],
            batchSize: o.batchSize,
            by: 'actioner',
          });
          counts[kind] += n;
          o.erased.inc({ kind }, n);
          if (n < o.batchSize) break;
        }
      }
      if (PersonalDataKinds.some((k) => counts[k] > 0))
        log.info({ erased: counts }, 'personal data erased at the end of its retention');
      return counts;
    },
  };
}
