import { describe, expect, it } from 'vitest';
import { appendAuditBatch, eraseExpiredAuditTexts, listAudit, verifyStoredLog } from './domains/audit.js';
import { createPool } from './pool.js';
import { auditEntry, db, signNow, useAuditSchema } from './audit.test-helper.js';

// The audit text retention pass while PostgreSQL terminates its connections (`pg_terminate_backend`, as a failover
// or an operator does) mid-pass: a batch cut short erases nothing and records nothing; passes run again until one
// ends; every due text is then erased once, with one erasure record, and the stored log verifies.

useAuditSchema();
const service = { kind: 'service', id: 'api' } as const;

describe('audit text retention, its connections terminated', () => {
  it('erases each due text once, with one record, however often a pass is cut short', async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 120 }, (_, i) => auditEntry(i)),
    );
    const { rows: at } = await db.pool.query<{ at: Date }>(
      `select max(recorded_at) as at from audit_records`,
    );
    const before = at[0]!.at;
    const app = `retention-faults-${crypto.randomUUID().slice(0, 8)}`;
    const pool = createPool({
      connectionString: db.connectionString,
      schema: db.schema,
      applicationName: app,
    });
    let killed = 0;
    let failures = 0;
    let stopKilling = false;
    const killer = (async () => {
      // Ten terminations, of statements in flight, then the database is left alone.
      while (!stopKilling && killed < 10) {
        const { rows } = await db.pool.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where application_name = $1 and state <> 'idle'`,
          [app],
        );
        killed += rows[0]?.n ?? 0;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      for (;;) {
        try {
          const o = await eraseExpiredAuditTexts(pool, {
            before,
            retentionDays: 30,
            batchSize: 3,
            maxBatches: 1000,
            actor: service,
          });
          if (!o.more && killed >= 10) break;
        } catch {
          failures++;
        }
      }
    } finally {
      stopKilling = true;
      await killer;
      await pool.end();
    }
    expect(killed).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
    const { rows: kept } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from audit_texts t join audit_records a on a.seq = t.seq
       where a.recorded_at <= $1 and t.erased_at is null`,
      [before],
    );
    expect(kept[0]?.n).toBe(0);
    const erasures = new Map<string, number>();
    for (const r of await listAudit(db.pool, { limit: 100_000 }))
      if (r.action === 'audit.text_erased') erasures.set(r.subject.id, (erasures.get(r.subject.id) ?? 0) + 1);
    const { rows: erased } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from audit_texts where erased_at is not null`,
    );
    expect([...erasures.values()].reduce((a, b) => a + b, 0)).toBe(erased[0]?.n);
    expect([...erasures.values()].every((n) => n === 1)).toBe(true);
    await signNow();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true });
  }, 120_000);
});
