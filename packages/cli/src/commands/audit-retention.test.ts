import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendAuditBatch, listAudit } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import { db, json, runExpecting, useAuditorLog, verdictRecord } from './modctl-database.test-helper.js';

const { file, pair, signHead } = useAuditorLog('audit-retention');
const DAY_MS = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('modctl audit erase-expired-texts', () => {
  it('counts on a dry run, erases texts past the retention as the operator, on record; again: nothing', async () => {
    await appendAuditBatch(db.pool, [0, 1, 2].map(verdictRecord));
    await signHead();
    const kept = await runExpecting(auditCommand, ['erase-expired-texts', '--days', '30', '--dry-run'], 0);
    expect(json(kept.out[0])).toMatchObject({ ok: true, dryRun: true, retentionDays: 30, due: 0, held: 0 });

    // 31 days on (modctl's clock; the records keep their time): the three reasons are past a 30-day retention.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31 * DAY_MS });
    const dry = await runExpecting(auditCommand, ['erase-expired-texts', '--days', '30', '--dry-run'], 0);
    expect(json(dry.out[0])).toMatchObject({ dryRun: true, due: 3, held: 0 });
    expect((await listAudit(db.pool)).map((r) => r.reason)).toEqual(['record 0', 'record 1', 'record 2']);

    const run = await runExpecting(auditCommand, ['erase-expired-texts', '--days', '30', '--batch', '2'], 0);
    expect(json(run.out[0])).toMatchObject({
      ok: true,
      dryRun: false,
      erased: 3,
      skipped: false,
      more: false,
    });
    const records = await listAudit(db.pool);
    expect(records.slice(0, 3).map((r) => r.reason)).toEqual([null, null, null]);
    expect(records.slice(3)).toHaveLength(3);
    records.slice(3).forEach((r, i) =>
      expect(r).toMatchObject({
        action: 'audit.text_erased',
        actor: { kind: 'user', id: 'modctl:auditor' },
        role: 'admin',
        subject: { type: 'audit_record', id: String(i) },
        reason: null,
      }),
    );
    await signHead();
    const key = file('key.pem');
    await writeFile(key, pair.publicKeyPem);
    vi.useRealTimers();
    const verified = await runExpecting(auditCommand, ['verify-log', '--key', key], 0);
    expect(json(verified.out[0])).toMatchObject({ ok: true, records: 6 });

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31 * DAY_MS });
    const again = await runExpecting(auditCommand, ['erase-expired-texts', '--days', '30'], 0);
    expect(json(again.out[0])).toMatchObject({ erased: 0, more: false });
    expect(await listAudit(db.pool)).toHaveLength(6);
  });

  it('refuses a retention of none or a malformed one (usage), and reads AUDIT_TEXT_RETENTION_DAYS', async () => {
    await runExpecting(auditCommand, ['erase-expired-texts', '--days', '0'], 2);
    await runExpecting(auditCommand, ['erase-expired-texts', '--days', 'abc'], 2);
    await runExpecting(auditCommand, ['erase-expired-texts', '--batch', '0'], 2);
    process.env['AUDIT_TEXT_RETENTION_DAYS'] = '0';
    try {
      await runExpecting(auditCommand, ['erase-expired-texts', '--dry-run'], 2);
      process.env['AUDIT_TEXT_RETENTION_DAYS'] = '45';
      const dry = await runExpecting(auditCommand, ['erase-expired-texts', '--dry-run'], 0);
      expect(json(dry.out[0])).toMatchObject({ retentionDays: 45 });
    } finally {
      delete process.env['AUDIT_TEXT_RETENTION_DAYS'];
    }
  });
});
