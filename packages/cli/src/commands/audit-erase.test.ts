import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { appendAuditBatch, listAudit } from '@mod/db/audit';
import { fileReport, releaseReportHold, setReportHold } from '@mod/db/reports';
import { reportHoldBy, seedTenants, testReport } from '@mod/testing';
import { auditCommand } from './audit.js';
import { db, json, runExpecting, useAuditorLog, verdictRecord } from './modctl-database.test-helper.js';

const { file, pair, signHead } = useAuditorLog('audit-erase');

describe('modctl audit erase-text', () => {
  it('erases a reason as the operator, audited, and the log still verifies', async () => {
    await appendAuditBatch(db.pool, [0, 1, 2].map(verdictRecord));
    await signHead();
    const erased = await runExpecting(
      auditCommand,
      ['erase-text', '--seq', '1', '--field', 'reason', '--reason', 'yêu cầu xoá'],
      0,
    );
    const out = json<{ erasureSeq: number; erasedAt: string }>(erased.out[0]);
    expect(out).toMatchObject({ ok: true, seq: 1, field: 'reason', erasureSeq: 3, alreadyErased: false });
    const [, one, , erasure] = await listAudit(db.pool);
    expect(one).toMatchObject({ seq: 1, reason: null, erased: { reason: out.erasedAt } });
    expect(erasure).toMatchObject({
      action: 'audit.text_erased',
      actor: { kind: 'user', id: 'modctl:auditor' },
      role: 'admin',
      subject: { type: 'audit_record', id: '1' },
      reason: 'yêu cầu xoá',
    });
    await signHead();
    const key = file('key.pem');
    await writeFile(key, pair.publicKeyPem);
    const verified = await runExpecting(auditCommand, ['verify-log', '--key', key], 0);
    expect(json(verified.out[0])).toMatchObject({ ok: true, records: 4 });

    // A text erased before: said, nothing done. No such record: typed error, exit 1. Missing --seq: usage.
    const again = await runExpecting(auditCommand, ['erase-text', '--seq', '1', '--field', 'reason'], 0);
    expect(json(again.out[0])).toMatchObject({ alreadyErased: true, erasureSeq: null });
    const none = await runExpecting(auditCommand, ['erase-text', '--seq', '99', '--field', 'reason'], 1);
    expect(json(none.err[0])).toMatchObject({ error: { code: 'MOD_ERR_AUDIT_LOG_NOT_ERASABLE' } });
    await runExpecting(auditCommand, ['erase-text', '--field', 'reason'], 2);
    expect((await listAudit(db.pool)).length).toBe(4);
  });

  it('refuses a text a legal hold keeps (exit 1, typed, nothing erased) and erases it once the hold is released', async () => {
    await seedTenants(db.pool, [
      { id: 'hotline-1', kind: 'hotline' },
      { id: 'police-1', kind: 'authority' },
    ]);
    const report = await fileReport(db.pool, testReport());
    expect((await setReportHold(db.pool, report.id, reportHoldBy('điều tra vụ án'))).ok).toBe(true);
    const [hold] = await listAudit(db.pool, { subjectId: report.id });
    expect(hold).toMatchObject({ action: 'report.legal_hold_set', reason: 'điều tra vụ án' });
    const seq = String(hold?.seq);

    const refused = await runExpecting(auditCommand, ['erase-text', '--seq', seq, '--field', 'reason'], 1);
    expect(json(refused.err[0])).toMatchObject({ error: { code: 'MOD_ERR_AUDIT_LOG_TEXT_HELD' } });
    expect((await listAudit(db.pool, { subjectId: report.id }))[0]?.reason).toBe('điều tra vụ án');

    expect((await releaseReportHold(db.pool, report.id, reportHoldBy('đã xong'))).ok).toBe(true);
    const erased = await runExpecting(auditCommand, ['erase-text', '--seq', seq, '--field', 'reason'], 0);
    expect(json(erased.out[0])).toMatchObject({ ok: true, seq: Number(seq), alreadyErased: false });
    expect((await listAudit(db.pool, { subjectId: report.id }))[0]?.reason).toBeNull();
  });
});
