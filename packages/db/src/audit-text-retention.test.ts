import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMasterKeyring, sha256Hex } from '@mod/vault';
import { evidenceToKeep, holdBy as evidenceHoldBy, photo } from '@mod/vault/testing/evidence';
import {
  appendAuditBatch,
  countExpiredAuditTexts,
  eraseExpiredAuditTexts,
  listAudit,
  verifyStoredLog,
  type AuditTextRetentionOptions,
} from './domains/audit.js';
import { fileReport, releaseReportHold, setReportHold } from './domains/reports.js';
import { createPgEvidenceStore } from './evidence-vault.js';
import { insertSubmission } from './submissions.js';
import { createPool, withTransaction, type Pool } from './pool.js';
import { auditEntry, db, signNow, useAuditSchema } from './audit.test-helper.js';
import { reportHoldBy } from './test-fixtures.test-helper.js';
import { addTenants, testReport } from './testing.test-helper.js';

// The retention of audit records' free texts: old ones erased in batches, each erasure on record; recent and held kept.

useAuditSchema();
const service = { kind: 'service', id: 'api' } as const;
const pass = (before: Date, over: Partial<AuditTextRetentionOptions> = {}, pool: Pool = db.pool) =>
  eraseExpiredAuditTexts(pool, { before, retentionDays: 30, batchSize: 2, actor: service, ...over });

/** The kept and erased texts by seq. */
async function texts(): Promise<Map<number, { kept: boolean; by: string | null }>> {
  const { rows } = await db.pool.query<{ seq: string; text: string | null; erased_by: string | null }>(
    `select seq, text, erased_by from audit_texts order by seq`,
  );
  return new Map(rows.map((r) => [Number(r.seq), { kept: r.text !== null, by: r.erased_by }]));
}

/** How many `audit.text_erased` records name each record. */
async function erasures(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const r of await listAudit(db.pool, { limit: 100_000 }))
    if (r.action === 'audit.text_erased')
      out.set(Number(r.subject.id), (out.get(Number(r.subject.id)) ?? 0) + 1);
  return out;
}

/** The time of the newest record, once the database's clock is past it (records after it are newer). */
async function newestRecordTime(): Promise<Date> {
  const { rows } = await db.pool.query<{ at: Date }>(`select max(recorded_at) as at from audit_records`);
  const at = rows[0]?.at ?? new Date(0);
  for (;;) {
    const { rows: past } = await db.pool.query<{ past: boolean }>(`select clock_timestamp() > $1 as past`, [
      at,
    ]);
    if (past[0]?.past === true) return at;
  }
}

describe('audit text retention', () => {
  it('erases old texts batch by batch, each on record; keeps recent and held ones; the log verifies; again: nothing', async () => {
    await addTenants(db.pool, { 'hotline-1': 'hotline', 'police-1': 'authority' });
    const report = await withTransaction(db.pool, (c) => fileReport(c, testReport()));
    // The hold's own record (reason: why it is held) and a case record whose evidence names the report: both held.
    expect((await setReportHold(db.pool, report.id, reportHoldBy('điều tra vụ án'))).ok).toBe(true);
    await appendAuditBatch(db.pool, [
      ...[0, 1, 2, 3, 4].map((i) => auditEntry(i)),
      auditEntry(5, { subject: { type: 'case', id: 'case-5' }, evidence: { report: { id: report.id } } }),
    ]);
    const cutoff = await newestRecordTime();
    await appendAuditBatch(db.pool, [auditEntry(6), auditEntry(7)]);
    const before = await texts();
    expect(before.size).toBe(9);

    expect(await countExpiredAuditTexts(db.pool, cutoff)).toEqual({ due: 5, held: 2 });
    expect(await pass(cutoff)).toEqual({ erased: 5, skipped: false, more: false });
    const after = await texts();
    const held = [0, 6];
    const recent = [7, 8];
    for (const seq of [...held, ...recent]) expect(after.get(seq)).toEqual({ kept: true, by: null });
    for (const seq of [1, 2, 3, 4, 5]) expect(after.get(seq)).toEqual({ kept: false, by: 'service:api' });
    expect([...(await erasures())].sort((a, b) => a[0] - b[0])).toEqual([1, 2, 3, 4, 5].map((s) => [s, 1]));
    const records = await listAudit(db.pool, { fromSeq: 9 });
    expect(records).toHaveLength(5);
    for (const r of records) {
      expect(r).toMatchObject({ action: 'audit.text_erased', actor: service, reason: null });
      expect(r.commitments).toBeUndefined();
    }
    await signNow();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 14 });

    // A second run: nothing due, nothing appended.
    expect(await pass(cutoff)).toEqual({ erased: 0, skipped: false, more: false });
    expect(await countExpiredAuditTexts(db.pool, cutoff)).toEqual({ due: 0, held: 2 });
    expect((await listAudit(db.pool, { limit: 100_000 })).length).toBe(14);

    // Released, the held texts go with the next pass that finds them old enough (the release's reason too).
    expect((await releaseReportHold(db.pool, report.id, reportHoldBy('đã xong'))).ok).toBe(true);
    const later = await newestRecordTime();
    expect(await countExpiredAuditTexts(db.pool, later)).toEqual({ due: 5, held: 0 });
    expect(await pass(later, { maxBatches: 2 })).toEqual({ erased: 4, skipped: false, more: true });
    expect(await pass(later)).toEqual({ erased: 1, skipped: false, more: false });
    expect([...(await texts()).values()].every((t) => !t.kept)).toBe(true);
    expect([...(await erasures()).values()].every((n) => n === 1)).toBe(true);
    await signNow();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true });
  });

  it('runs one pass at a time: a runner finding the pass taken stops; two at once never erase a text twice', async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 30 }, (_, i) => auditEntry(i)),
    );
    const cutoff = await newestRecordTime();
    // Another replica in the middle of a batch: this one does nothing and says so.
    const other = await db.pool.connect();
    try {
      await other.query('begin');
      await other.query(
        `select pg_advisory_xact_lock(hashtext('mod-audit-text-retention:' || current_schema()))`,
      );
      expect(await pass(cutoff)).toEqual({ erased: 0, skipped: true, more: true });
    } finally {
      await other.query('rollback');
      other.release();
    }
    // Two replicas (pools of their own) at once, then a pass for whatever the one that stopped left.
    const second = createPool({ connectionString: db.connectionString, schema: db.schema });
    try {
      const both = await Promise.all([
        pass(cutoff, { batchSize: 3 }),
        pass(cutoff, { batchSize: 3 }, second),
      ]);
      const rest = await pass(cutoff, { batchSize: 3 });
      expect(both[0].erased + both[1].erased + rest.erased).toBe(30);
    } finally {
      await second.end();
    }
    expect([...(await texts()).values()].every((t) => !t.kept)).toBe(true);
    const named = await erasures();
    expect(named.size).toBe(30);
    expect([...named.values()].every((n) => n === 1)).toBe(true);
    await signNow();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 60 });
  });
});

describe('audit text retention and evidence holds', () => {
  it("keeps the texts of records about a held evidence item and its submission; erases the others'", async () => {
    await addTenants(db.pool, { 'platform-a': 'platform', 'authority-a': 'authority' });
    const store = createPgEvidenceStore(db.pool, {
      keyring: createMasterKeyring({ current: randomBytes(32).toString('base64') }),
    });
    const submissionId = randomUUID();
    const media = { sha256: sha256Hex(photo), bytes: photo.length };
    await insertSubmission(db.pool, { id: submissionId, tenantId: 'platform-a', source: 'api', ...media });
    const { item } = await store.keep(evidenceToKeep({ tenantId: 'platform-a', submissionId }));
    expect((await store.setLegalHold(item.id, { all: true }, evidenceHoldBy('authority-a'))).ok).toBe(true);
    await appendAuditBatch(db.pool, [
      auditEntry(0, { subject: { type: 'submission', id: submissionId }, reason: 'về bài đăng này' }),
      auditEntry(1, { reason: 'không liên quan' }),
    ]);
    const cutoff = await newestRecordTime();
    const bySubject = new Map((await listAudit(db.pool)).map((r) => [r.seq, r.subject.id]));
    const due = await countExpiredAuditTexts(db.pool, cutoff);
    expect(due.due).toBe(1);
    expect(await pass(cutoff)).toMatchObject({ erased: 1 });
    for (const [seq, t] of await texts())
      expect(t.kept, `record ${seq} about ${bySubject.get(seq)}`).toBe(
        bySubject.get(seq) === item.id || bySubject.get(seq) === submissionId,
      );
    await signNow();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true });
  });
});
