import { describe, expect, it } from 'vitest';
import { verifyBundle } from '@mod/audit';
import {
  appendAuditAlone,
  listAudit,
  signTreeHeadIfDue,
  verifyStoredLog,
  type AuditBundle,
} from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * Erasing a record's free text over the API (`POST /v1/audit/records/:seq/texts/:field/erase`): admins only,
 * audited (an `audit.text_erased` record in the same transaction), and the log, its heads and exports still verify.
 */

const api = useCallersWorld(
  { authority: ['auth-a', 'authority'], admin: ['ops', 'admin'] },
  { tenants: { 'plat-1': 'platform' }, build: { reports: TEST_REPORT_SETTINGS } },
);
const erase = (key: string, seq: number, body: unknown = { reason: 'người liên quan yêu cầu' }) =>
  api.call(key, 'POST', `/v1/audit/records/${seq}/texts/reason/erase`, body);
const signHead = () =>
  signTreeHeadIfDue(api.db, {
    key: api.world.auditKey,
    schedule: { everyRecords: 1, everyMs: 0 },
    topic: null,
    force: true,
  });
/**
 * A reviewer's dismissal of case `caseId` with `reason`, as the log keeps it (its text beside the record), its
 * evidence naming `evidence` when given (the ids the record is indexed under besides the case).
 */
const dismissal = (caseId: string, reason: string, evidence?: Record<string, unknown>) =>
  appendAuditAlone(api.db, {
    actor: { kind: 'person', id: 'reviewer-1' },
    action: 'case.dismissed',
    subject: { type: 'case', id: caseId },
    reason,
    ...(evidence === undefined ? {} : { evidence }),
  });

describe('POST /v1/audit/records/:seq/texts/:field/erase', () => {
  it('erases for admins only; the erasure is audited and the log still verifies', async () => {
    const written = await dismissal('case-erase-1', 'Nguyễn Văn A, 0901 234 567, nói rằng…');
    const seq = written.seq;

    // Refused to a non-admin, typed, and nothing erased.
    expect(statusAndCode(await erase(api.keys.authority, seq))).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    expect((await listAudit(api.db, { subjectId: 'case-erase-1' }))[0]?.reason).toBe(written.reason);

    const res = await erase(api.keys.admin, seq);
    expect(res.statusCode, res.body).toBe(200);
    const done = res.json<{ seq: number; erasedAt: string; erasureSeq: number | null }>();
    expect(done.seq).toBe(seq);
    const [after] = await listAudit(api.db, { subjectId: 'case-erase-1' });
    expect(after?.reason).toBeNull();
    expect(after?.erased).toEqual({ reason: done.erasedAt });
    const [erasure] = await listAudit(api.db, { fromSeq: done.erasureSeq ?? -1, limit: 1 });
    expect(erasure).toMatchObject({
      action: 'audit.text_erased',
      role: 'admin',
      subject: { type: 'audit_record', id: String(seq) },
      reason: 'người liên quan yêu cầu',
    });

    // Again: nothing more done. A record with no erasable text: typed 409.
    expect((await erase(api.keys.admin, seq)).json<{ erasureSeq: null }>().erasureSeq).toBeNull();
    expect(statusAndCode(await erase(api.keys.admin, done.erasureSeq ?? 0, {}))).toEqual([200, undefined]);
    const none = await appendAuditAlone(api.db, {
      actor: { kind: 'service', id: 'x' },
      action: 'x.done',
      subject: { type: 'case', id: 'no-reason' },
    });
    expect(statusAndCode(await erase(api.keys.admin, none.seq))).toEqual([
      409,
      'MOD_ERR_API_AUDIT_NOT_ERASABLE',
    ]);

    // The stored log and an admin's export (the erased text as its time) still verify.
    await signHead();
    expect(await verifyStoredLog(api.db)).toMatchObject({ ok: true });
    const exp = await api.call(api.keys.admin, 'GET', '/v1/audit/export?ref=case-erase-1');
    expect(exp.statusCode, exp.body).toBe(200);
    const bundle = exp.json<AuditBundle>();
    expect(bundle.entries.find((e) => e.leafIndex === seq)?.texts).toEqual({
      reason: { erasedAt: done.erasedAt },
    });
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
  });

  it("refuses a reason the API's other reasons refuse (controls, bidi overrides), erasing nothing", async () => {
    const written = await dismissal('case-erase-unsafe', 'Trần Thị B, 0912 345 678');
    // A right-to-left override makes the erasure's reason read otherwise in the console, an export, a terminal.
    for (const reason of ['yêu cầu \u202eeteled', 'a\u0007b', 'x\u009by', ''])
      expect(statusAndCode(await erase(api.keys.admin, written.seq, { reason }))).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
    const [kept] = await listAudit(api.db, { subjectId: 'case-erase-unsafe' });
    expect(kept?.reason).toBe(written.reason);
    expect(await listAudit(api.db, { subjectId: String(written.seq) })).toEqual([]);
  });

  it('refuses a text a legal hold keeps (409, nothing erased) and erases it once the hold is released', async () => {
    const report = await seedMatrixReport(api.db, { tenantId: 'plat-1' });
    const held = await api.call(api.keys.authority, 'POST', `/v1/reports/${report}/legal-hold`, {
      reason: 'điều tra vụ án 12/2026',
    });
    expect(held.statusCode, held.body).toBe(200);
    // The hold's own record (its reason) and a case record whose evidence names the report: both kept by the hold.
    const [holdRecord] = await listAudit(api.db, { subjectId: report });
    expect(holdRecord).toMatchObject({ action: 'report.legal_hold_set', reason: 'điều tra vụ án 12/2026' });
    const about = await dismissal('case-held-1', 'Lê Văn C, 0987 654 321', { report: { id: report } });
    const free = await dismissal('case-free-1', 'Phạm Thị D');
    const before = (await listAudit(api.db)).length;
    for (const seq of [holdRecord?.seq ?? -1, about.seq])
      expect(statusAndCode(await erase(api.keys.admin, seq))).toEqual([409, 'MOD_ERR_API_AUDIT_TEXT_HELD']);
    expect((await listAudit(api.db, { subjectId: 'case-held-1' }))[0]?.reason).toBe(about.reason);
    expect((await listAudit(api.db)).length).toBe(before);
    // A record no hold concerns is erased as ever.
    expect((await erase(api.keys.admin, free.seq)).statusCode).toBe(200);

    const released = await api.call(api.keys.authority, 'POST', `/v1/reports/${report}/legal-hold/release`, {
      reason: 'vụ án đã khép lại',
    });
    expect(released.statusCode, released.body).toBe(200);
    const res = await erase(api.keys.admin, about.seq);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ erasureSeq: number | null }>().erasureSeq).not.toBeNull();
    expect((await listAudit(api.db, { subjectId: 'case-held-1' }))[0]?.reason).toBeNull();
    await signHead();
    expect(await verifyStoredLog(api.db)).toMatchObject({ ok: true });
  });
});
