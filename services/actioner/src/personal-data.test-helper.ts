import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { PersonalDataKinds, settleSubject, type PersonalDataKind } from '@mod/db/reports';
import { claimSubmission } from '@mod/db/submissions';
import { createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema, seedTenants, type TestDatabase } from '@mod/testing';
import { createManualClock, type ManualClock } from './clock.js';
import {
  createPersonalDataMetrics,
  createPersonalDataRetention,
  type PersonalDataRetention,
} from './personal-data-retention.js';
import { fileTestReport } from './report-fixtures.test-helper.js';

export const DAY = 86_400_000;

/** What a pass answers when it erased `erased` of some kinds and nothing of the others. */
export const passErased = (erased: Partial<Record<PersonalDataKind, number>> = {}) =>
  Object.fromEntries(PersonalDataKinds.map((kind) => [kind, erased[kind] ?? 0]));

/** A schema of its own for each test (the pass counts everything due in it), a clock the test moves, and helpers. */
export interface PersonalDataWorld {
  readonly db: TestDatabase;
  readonly clock: ManualClock;
  /** The pass with 30 days for report text, 60 for reported URLs, 10 for observed URLs. */
  retention(batchSize?: number, maxBatches?: number): PersonalDataRetention;
  /** `mod_personal_data_erased_total{kind}`. */
  erasedTotal(kind: PersonalDataKind): Promise<number>;
  file(
    url: string | string[],
    contactDays?: number | null,
  ): Promise<{ id: string; subjectId: string; subjectIds: string[] }>;
  /** The subject settles now with no action (its report is handled once all its subjects are). */
  handle(subjectId: string, submissionId?: string | null): Promise<void>;
  /** A submission the fetcher made of `url` (received now, by PostgreSQL's clock). */
  submission(url: string, tenantId?: string): Promise<string>;
  submissionUrl(
    id: string,
  ): Promise<{ url: string | null; url_erased_at: Date | null; sha256: string } | undefined>;
  closeCase(id: string): Promise<void>;
  /** The erasure records of `kind`, each as its evidence documents stored it. */
  erasures(kind: PersonalDataKind): Promise<Record<string, unknown>[]>;
}

/**
 * Registers the world's set-up and tear-down around each test of the file. Submissions take their receipt time from
 * PostgreSQL, so the clock starts at the real time.
 */
export function usePersonalDataWorld(): PersonalDataWorld {
  let db: TestDatabase | undefined;
  let clock = createManualClock(new Date());
  let registry = createRegistry('actioner-test');
  let erased = createPersonalDataMetrics(registry);
  beforeEach(async () => {
    db = await createTestSchema();
    clock = createManualClock(new Date());
    registry = createRegistry('actioner-test');
    erased = createPersonalDataMetrics(registry);
    await seedTenants(db.pool, [
      { id: 'isp-a', kind: 'isp' },
      { id: 'authority-a', kind: 'authority' },
    ]);
  });
  afterEach(async () => db?.drop());
  const pool = () => {
    if (db === undefined) throw new Error('no test schema');
    return db.pool;
  };
  return {
    get db() {
      if (db === undefined) throw new Error('no test schema');
      return db;
    },
    get clock() {
      return clock;
    },
    retention: (batchSize = 100, maxBatches?: number) =>
      createPersonalDataRetention({
        db: pool(),
        clock,
        logger: createLogger('personal-data-test', 'silent'),
        erased,
        reportTextDays: 30,
        reportedUrlDays: 60,
        observedUrlDays: 10,
        batchSize,
        ...(maxBatches === undefined ? {} : { maxBatches }),
      }),
    async erasedTotal(kind) {
      const line = (await registry.metrics())
        .split('\n')
        .find((l) => l.startsWith(`mod_personal_data_erased_total{kind="${kind}"`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    },
    file: (url, contactDays = null) => fileTestReport(pool(), url, clock.now(), contactDays),
    handle: (subjectId, submissionId = null) =>
      settleSubject(pool(), {
        id: subjectId,
        status: 'no-action',
        reason: 'nothing unlawful on the page',
        orderIds: [],
        submissionId,
        owner: 'system:pipeline',
        at: clock.now(),
      }),
    async submission(url, tenantId = 'isp-a') {
      const id = randomUUID();
      await claimSubmission(pool(), {
        id,
        tenantId,
        source: 'fetcher',
        url,
        sha256: 'ab'.repeat(32),
        bytes: 10,
      });
      return id;
    },
    async submissionUrl(id) {
      const { rows } = await pool().query<{ url: string | null; url_erased_at: Date | null; sha256: string }>(
        'select url, url_erased_at, sha256 from submissions where id = $1',
        [id],
      );
      return rows[0];
    },
    async closeCase(id) {
      await pool().query(
        `update cases set status = 'closed', closed_at = $2, closed_by = 'test' where id = $1`,
        [id, clock.now()],
      );
    },
    async erasures(kind) {
      const records = (await listAudit(pool(), { subjectId: kind })).filter(
        (r) => r.action === 'privacy.erased',
      );
      const docs = await pool().query<{ seq: string; name: string; document: string }>(
        'select seq::text, name, document from audit_evidence where seq = any($1::bigint[])',
        [records.map((r) => r.seq)],
      );
      return records.map((r) =>
        Object.fromEntries(
          docs.rows
            .filter((d) => d.seq === String(r.seq))
            .map((d) => [d.name, JSON.parse(d.document) as unknown]),
        ),
      );
    },
  };
}
