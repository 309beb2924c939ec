import { describe, expect, it } from 'vitest';
import { appendAuditBatch, eraseExpiredAuditTexts } from './domains/audit.js';
import { auditEntry, db, useAuditSchema } from './audit.test-helper.js';
import { explaining, rowsRead, scansOf, type PlanNode } from './explain.test-helper.js';

// What a retention pass reads once most of the log's texts are erased: only the kept ones (migration 0050's
// partial index audit_texts_kept), never every erased text and record before them. Counted in rows the plan read
// (EXPLAIN ANALYZE of the pass's own statement), never in time.

useAuditSchema();
const service = { kind: 'service', id: 'api' } as const;
const ERASED = 2_000;

describe('audit text retention, what a pass reads', () => {
  it('goes straight to the first kept text, reading no erased text and no record before it', async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: ERASED }, (_, i) => auditEntry(i)),
    );
    const { rows } = await db.pool.query<{ at: Date }>(`select clock_timestamp() as at`);
    const first = await eraseExpiredAuditTexts(db.pool, {
      before: rows[0]?.at ?? new Date(),
      retentionDays: 30,
      batchSize: 500,
      maxBatches: 10,
      actor: service,
    });
    expect(first).toEqual({ erased: ERASED, skipped: false, more: false });
    await appendAuditBatch(
      db.pool,
      [ERASED, ERASED + 1, ERASED + 2].map((i) => auditEntry(i)),
    );
    await db.pool.query('analyze audit_texts, audit_records');

    // The next pass, its batch statement's plan as it ran first (undone, then run for real).
    const plans: PlanNode[] = [];
    const next = await eraseExpiredAuditTexts(explaining(db.pool, 'audit:text-retention-erase', plans), {
      before: new Date(Date.now() + 60_000),
      retentionDays: 30,
      batchSize: 500,
      actor: service,
    });
    expect(next).toEqual({ erased: 3, skipped: false, more: false });
    expect(plans).toHaveLength(1);
    const scans = scansOf(plans[0] as PlanNode, ['audit_texts', 'audit_records']);
    // The due texts through the partial index (the update then finds each of them by its primary key).
    expect(scans.filter((n) => n['Relation Name'] === 'audit_texts').map((n) => n['Index Name'])).toContain(
      'audit_texts_kept',
    );
    // Every row a scan of either table read is one the batch took: the three kept texts and their own records
    // (before, the 2,000 erased texts were read and passed over, and as many records by a merge join).
    const read = scans.map(rowsRead);
    expect(read.every((r) => r <= 3)).toBe(true);
  });
});
