import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '@mod/db';
import { appendAuditBatch, listAudit, verifyStoredLog } from '@mod/db/audit';
import { createLogger, createRegistry, type Registry } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import {
  createAuditTextRetentionMetrics,
  createAuditTextRetentionPass,
  type AuditTextRetentionPass,
} from './audit-text-retention.js';

// The API's audit text retention pass: two replicas on one database, each with its own pool and metrics.

const logger = createLogger('audit-text-retention-test', 'silent');
const DAY_MS = 86_400_000;
let db: TestDatabase;
let second: Pool;
beforeAll(async () => {
  db = await createTestSchema();
  second = createPool({ connectionString: db.connectionString, schema: db.schema });
});
afterAll(async () => {
  await second.end();
  await db.drop();
});

/** A replica's pass, 31 days on, under a 30-day retention, batches of 4. */
function replica(pool: Pool, retentionDays = 30): { pass: AuditTextRetentionPass; registry: Registry } {
  const registry = createRegistry('api');
  const pass = createAuditTextRetentionPass({
    db: pool,
    logger,
    metrics: createAuditTextRetentionMetrics(registry),
    retentionDays,
    batchSize: 4,
    intervalMs: 3_600_000,
    now: () => new Date(Date.now() + 31 * DAY_MS),
  });
  return { pass, registry };
}

/** One metric's value in a registry's exposition (0 when absent). */
async function metric(registry: Registry, line: string): Promise<number> {
  const found = (await registry.metrics()).split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.split(' ').at(-1));
}

describe('audit text retention pass', () => {
  it('one replica at a time erases each old text once, counted; the log verifies; off erases nothing', async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 10 }, (_, i) => ({
        actor: { kind: 'person' as const, id: 'officer-1' },
        action: 'order.confirmed',
        subject: { type: 'order', id: `order-${i}` },
        reason: `Nguyễn Văn A, 0901 234 56${i}`,
      })),
    );
    const off = replica(db.pool, 0);
    expect(await off.pass.pass()).toEqual({ erased: 0, skipped: false, more: false });

    const a = replica(db.pool);
    const b = replica(second);
    // Another replica in the middle of its pass: this one skips, and says so.
    const other = await db.pool.connect();
    try {
      await other.query('begin');
      await other.query(
        `select pg_advisory_xact_lock(hashtext('mod-audit-text-retention:' || current_schema()))`,
      );
      expect(await a.pass.pass()).toMatchObject({ erased: 0, skipped: true });
    } finally {
      await other.query('rollback');
      other.release();
    }
    expect(await metric(a.registry, 'mod_api_audit_text_retention_passes_total{outcome="skipped"')).toBe(1);
    expect(await metric(a.registry, 'mod_api_audit_text_retention_last_run_timestamp_seconds')).toBe(0);

    // Both at once, then each once more: every text erased once, the counters of both add up to ten.
    await Promise.all([a.pass.pass(), b.pass.pass()]);
    await a.pass.pass();
    await b.pass.pass();
    const erased =
      (await metric(a.registry, 'mod_api_audit_texts_erased_total')) +
      (await metric(b.registry, 'mod_api_audit_texts_erased_total'));
    expect(erased).toBe(10);
    for (const r of [a, b])
      expect(
        await metric(r.registry, 'mod_api_audit_text_retention_last_run_timestamp_seconds'),
      ).toBeGreaterThan(0);
    const records = await listAudit(db.pool);
    expect(records.slice(0, 10).every((r) => r.reason === null && r.erased?.['reason'] !== undefined)).toBe(
      true,
    );
    const named = records.slice(10).map((r) => (r.action === 'audit.text_erased' ? r.subject.id : '?'));
    expect(named.sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 20 });
  });
});
