import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '@mod/audit';
import { withTransaction } from '@mod/db';
import { appendAuditBatch } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import { db, json, runExpecting, useAuditorLog, verdictRecord } from './modctl-database.test-helper.js';

const { file, pair, signHead } = useAuditorLog('audit-log');

describe('modctl audit verify-log', () => {
  it('verifies the stored log against the keys given, and names the first record changed behind its back', async () => {
    await appendAuditBatch(db.pool, [0, 1, 2, 3, 4].map(verdictRecord));
    await signHead();
    await appendAuditBatch(db.pool, [5, 6].map(verdictRecord));
    const key = file('key.pem');
    const other = file('other.pem');
    await writeFile(key, pair.publicKeyPem);
    await writeFile(other, generateSigningKeyPair().publicKeyPem);

    const good = await runExpecting(auditCommand, ['verify-log', '--key', key], 0);
    expect(json(good.out[0])).toMatchObject({ ok: true, records: 7, treeSize: 5, trustedKeys: 'given' });
    const database = await runExpecting(auditCommand, ['verify-log', '--trust-database-keys'], 0);
    expect(json(database.out[0])).toMatchObject({ ok: true, records: 7, trustedKeys: 'database' });
    // Heads signed by a key the auditor does not hold: refused.
    const stranger = await runExpecting(auditCommand, ['verify-log', '--key', other], 1);
    expect(json(stranger.out[0])).toMatchObject({ ok: false, error: { reason: 'unknown_key' } });
    // Either keys or the database's, said out loud: never a silent default.
    await runExpecting(auditCommand, ['verify-log'], 2);
    await runExpecting(auditCommand, ['verify-log', '--key', key, '--trust-database-keys'], 2);

    // The database owner rewrites a record appended after the signed head.
    await withTransaction(db.pool, async (c) => {
      await c.query('alter table audit_records disable trigger user');
      await c.query(
        `update audit_records set record = replace(record, 'verdict.recorded', 'verdict.rewritten') where seq = 6`,
      );
      await c.query('alter table audit_records enable trigger user');
    });
    const changed = await runExpecting(auditCommand, ['verify-log', '--key', key], 1);
    expect(json(changed.out[0])).toMatchObject({ ok: false, error: { firstBadRecord: { seq: 6 } } });
  });

  it('names every record whose evidence document was deleted behind the triggers', async () => {
    const [first] = await appendAuditBatch(db.pool, [
      { ...verdictRecord(7), evidence: { hits: [{ bankId: 'b' }] } },
    ]);
    await withTransaction(db.pool, async (c) => {
      // The record the test above rewrote is put back: the log fails for the deleted document alone.
      await c.query('alter table audit_records disable trigger user');
      await c.query(
        `update audit_records set record = replace(record, 'verdict.rewritten', 'verdict.recorded') where seq = 6`,
      );
      await c.query('alter table audit_records enable trigger user');
      await c.query('alter table audit_evidence disable trigger user');
      await c.query('delete from audit_evidence where seq = $1', [first?.seq]);
      await c.query('alter table audit_evidence enable trigger user');
    });
    const gone = await runExpecting(auditCommand, ['verify-log', '--trust-database-keys'], 1);
    expect(json(gone.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_EVIDENCE_MISSING', firstBadRecord: { seq: first?.seq } },
      missingEvidence: [{ seq: first?.seq, name: 'hits', digest: first?.evidence['hits'] }],
      missingEvidenceCount: 1,
    });
  });
});
