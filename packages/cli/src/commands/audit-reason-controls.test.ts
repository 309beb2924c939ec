import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import { keyCommand } from './key.js';
import { db, json, runExpecting, useAuditorLog } from './modctl-database.test-helper.js';

const { file, pair, signHead } = useAuditorLog('audit-reason-controls');

/** A reason an operator pastes into modctl: a terminal escape, a forged line (CR LF), a C1 CSI and an RLO. */
const HOSTILE = 'leaked\u001b[2J\r\nverdict: none\u009b31m in \u202etxt.exe\u202c ticket\u2066x\u2069';

describe('modctl reasons in the audit log', () => {
  it('commits a reason with its C0 and C1 controls as spaces and without bidi overrides; the stored log verifies', async () => {
    await upsertTenant(db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP One', subscribedToBlocking: true });
    const issued = await runExpecting(keyCommand, ['issue', '--tenant', 'isp-1', '--role', 'isp'], 0);
    const { id } = json<{ id: string }>(issued.out[0]);
    await runExpecting(keyCommand, ['revoke', '--id', id, '--reason', HOSTILE], 0);

    const expected = 'leaked [2J  verdict: none 31m in txt.exe ticketx';
    const revoked = (await listAudit(db.pool, {})).find((a) => a.action === 'key.revoked');
    expect(revoked?.reason).toBe(expected);
    const kept = await db.pool.query<{ text: string }>(`select text from audit_texts where field = 'reason'`);
    expect(kept.rows.map((r) => r.text)).toContain(expected);
    // eslint-disable-next-line no-control-regex
    expect(kept.rows.some((r) => /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(r.text))).toBe(
      false,
    );

    await signHead();
    const key = file('key.pem');
    await writeFile(key, pair.publicKeyPem);
    const verified = await runExpecting(auditCommand, ['verify-log', '--key', key], 0);
    expect(json(verified.out[0])).toMatchObject({ ok: true });
  });
});
