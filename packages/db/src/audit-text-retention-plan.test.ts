import { describe, expect, it } from 'vitest';
import { appendAuditBatch, eraseExpiredAuditTexts } from './domains/audit.js';
import type { Pool, PoolClient } from './pool.js';
import { auditEntry, db, useAuditSchema } from './audit.test-helper.js';

// What a retention pass reads once most of the log's texts are erased: only the kept ones (migration 0050's
// partial index audit_texts_kept), never every erased text and record before them. Counted in rows the plan read
// (EXPLAIN ANALYZE of the pass's own statement), never in time.

useAuditSchema();
const service = { kind: 'service', id: 'api' } as const;
const ERASED = 2_000;

/**
 * A pool whose transactions, before each statement marked `marker`, run it under EXPLAIN ANALYZE and undo that
 * (a savepoint), pushing its plan to `plans`; then run it.
 */
function explaining(pool: Pool, marker: string, plans: PlanNode[]): Pool {
  const query = (c: PoolClient) => async (text: unknown, values?: unknown[]) => {
    if (typeof text === 'string' && text.includes(marker)) {
      await c.query('savepoint plan');
      const { rows } = await c.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `explain (analyze, format json) ${text}`,
        values,
      );
      const plan = rows[0]?.['QUERY PLAN'][0].Plan;
      if (plan !== undefined) plans.push(plan);
      await c.query('rollback to savepoint plan');
    }
    return c.query(text as string, values);
  };
  const client = (c: PoolClient): PoolClient =>
    new Proxy(c, {
      get: (target, key) => (key === 'query' ? query(target) : (Reflect.get(target, key, target) as unknown)),
    });
  return new Proxy(pool, {
    get: (target, key) =>
      key === 'connect'
        ? async () => client(await target.connect())
        : (Reflect.get(target, key, target) as unknown),
  });
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

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
    const scans = nodes(plans[0] as PlanNode).filter(
      (n) =>
        n['Node Type'].includes('Scan') &&
        ['audit_texts', 'audit_records'].includes(n['Relation Name'] ?? ''),
    );
    // The due texts through the partial index (the update then finds each of them by its primary key).
    expect(scans.filter((n) => n['Relation Name'] === 'audit_texts').map((n) => n['Index Name'])).toContain(
      'audit_texts_kept',
    );
    // Every row a scan of either table read is one the batch took: the three kept texts and their own records
    // (before, the 2,000 erased texts were read and passed over, and as many records by a merge join).
    const read = scans.map(
      (n) => (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'],
    );
    expect(read.every((r) => r <= 3)).toBe(true);
  });
});
