import { env } from '@mod/config';
import type { Pool } from '@mod/db';
import {
  AUDIT_TEXT_RETENTION_DEFAULT_DAYS,
  eraseExpiredAuditTexts,
  retentionCutoff,
  type AuditTextRetentionOutcome,
} from '@mod/db/audit';
import { Counter, Gauge, type Logger, type Registry } from '@mod/telemetry';

/** How long audit records' free texts (their reasons, which may hold personal data) are kept, and the pass's pace. */
export const auditTextRetentionSpec = {
  AUDIT_TEXT_RETENTION_DAYS: env.integer({
    default: AUDIT_TEXT_RETENTION_DEFAULT_DAYS,
    min: 0,
    max: 36_500,
    doc: "days an audit record's free text (its reason) is kept before the API's retention pass erases it (each erasure an audit.text_erased record; never under a legal hold on a related report or evidence item); 0: kept for ever",
  }),
  AUDIT_TEXT_RETENTION_INTERVAL_MS: env.milliseconds({
    default: 3_600_000,
    min: 1000,
    doc: 'how often the audit text retention pass runs, ms (one API replica at a time)',
  }),
  AUDIT_TEXT_ERASE_BATCH: env.integer({
    default: 200,
    min: 1,
    max: 10_000,
    doc: 'most audit texts one erasure transaction takes (20 batches at most per pass)',
  }),
} as const;

/** The pass's metrics, on the ops server's registry. */
export interface AuditTextRetentionMetrics {
  erased: Counter;
  passes: Counter<'outcome'>;
  lastRun: Gauge;
}

export function createAuditTextRetentionMetrics(registry: Registry): AuditTextRetentionMetrics {
  return {
    erased: new Counter({
      name: 'mod_api_audit_texts_erased_total',
      help: "Audit records' free texts erased at the end of their retention (AUDIT_TEXT_RETENTION_DAYS) by this instance",
      registers: [registry],
    }),
    passes: new Counter({
      name: 'mod_api_audit_text_retention_passes_total',
      help: 'Audit text retention passes by outcome (ran; skipped: another replica held the pass; failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    lastRun: new Gauge({
      name: 'mod_api_audit_text_retention_last_run_timestamp_seconds',
      help: 'When this instance last ran the audit text retention pass to its end (Unix time, s; 0: not yet)',
      registers: [registry],
    }),
  };
}

export interface AuditTextRetentionPassOptions {
  db: Pool;
  logger: Logger;
  metrics: AuditTextRetentionMetrics;
  /** `AUDIT_TEXT_RETENTION_DAYS` (0: off). */
  retentionDays: number;
  /** `AUDIT_TEXT_ERASE_BATCH`. */
  batchSize: number;
  /** `AUDIT_TEXT_RETENTION_INTERVAL_MS`. */
  intervalMs: number;
  /** Batches per pass. Default 20. */
  maxBatches?: number;
  now?: () => Date;
}

export interface AuditTextRetentionPass {
  /** One pass now (tests; the loop runs these). */
  pass(): Promise<AuditTextRetentionOutcome>;
  /** Runs a pass now and then every `intervalMs` (nothing when the retention is off). */
  start(): void;
  /** Stops the loop after the running pass. */
  stop(): Promise<void>;
}

const API = { kind: 'service', id: 'api' } as const;

/**
 * The API's periodic retention of audit texts (`eraseExpiredAuditTexts` of `@mod/db`): texts of records older than
 * `retentionDays` are erased, each with its `audit.text_erased` record, by one replica at a time (the others find
 * the pass's lock taken and skip). `mod_api_audit_texts_erased_total` counts erasures,
 * `mod_api_audit_text_retention_passes_total{outcome}` passes, and the last-run gauge says when one ended here.
 */
export function createAuditTextRetentionPass(o: AuditTextRetentionPassOptions): AuditTextRetentionPass {
  const now = o.now ?? (() => new Date());
  const log = o.logger.child({ component: 'audit-text-retention' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;

  const pass = async (): Promise<AuditTextRetentionOutcome> => {
    if (o.retentionDays === 0) return { erased: 0, skipped: false, more: false };
    const at = now();
    const outcome = await eraseExpiredAuditTexts(o.db, {
      before: retentionCutoff(at, o.retentionDays),
      retentionDays: o.retentionDays,
      batchSize: o.batchSize,
      ...(o.maxBatches === undefined ? {} : { maxBatches: o.maxBatches }),
      actor: API,
    });
    o.metrics.erased.inc(outcome.erased);
    o.metrics.passes.inc({ outcome: outcome.skipped ? 'skipped' : 'ran' });
    if (!outcome.skipped) o.metrics.lastRun.set(now().getTime() / 1000);
    if (outcome.erased > 0)
      log.info(
        { ...outcome, retentionDays: o.retentionDays },
        'audit texts erased at the end of their retention',
      );
    return outcome;
  };
  const loop = (): void => {
    running = pass()
      .catch((err: unknown) => {
        o.metrics.passes.inc({ outcome: 'failed' });
        log.warn({ err }, 'audit text retention pass failed; will retry');
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, o.intervalMs);
      });
  };
  return {
    pass,
    start() {
      if (!stopped) return;
      if (o.retentionDays === 0) {
        log.warn('audit text retention off (AUDIT_TEXT_RETENTION_DAYS=0): audit reasons are kept for ever');
        return;
      }
      stopped = false;
      log.info({ retentionDays: o.retentionDays, intervalMs: o.intervalMs }, 'audit text retention started');
      loop();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
