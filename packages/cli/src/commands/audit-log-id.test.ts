import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, loadSigningKey } from '@mod/audit';
import { appendAuditBatch, auditConsistencyProof, auditLogId, exportAuditBundle } from '@mod/db/audit';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { auditCommand } from './audit.js';
import {
  db,
  json,
  runExpecting,
  signHeadWith as sign,
  useAuditorLog,
  verdictRecord,
} from './modctl-database.test-helper.js';

// modctl audit against the log's id and key history, with the real verifier: a bundle or head of another log
// signed with the same key is refused, and an old-size export after a rotation verifies with the current key.

const { file, pair } = useAuditorLog('audit-log-id');

/** Another log (a test log, another deployment) signed with the same key. */
let other: TestDatabase;
beforeAll(async () => {
  other = await createTestSchema();
});
afterAll(async () => other.drop());

describe('modctl audit and the log id', () => {
  it('verifies an old-size export after a rotation with the current key alone, and refuses another log’s', async () => {
    const old = loadSigningKey(pair.privateKeyPem);
    await appendAuditBatch(db.pool, [0, 1, 2].map(verdictRecord));
    const kept = await sign(db.pool, old);
    const freshPair = generateSigningKeyPair();
    const fresh = loadSigningKey(freshPair.privateKeyPem);
    await appendAuditBatch(db.pool, [3, 4].map(verdictRecord));
    await sign(db.pool, fresh, [fresh, old]);
    const logId = await auditLogId(db.pool);

    const bundle = file('old-size.json');
    const range = { kind: 'range', fromSeq: 0, toSeq: 2 } as const;
    const options = { signingKey: fresh, trusted: [fresh, old], treeSize: 3 };
    await writeFile(bundle, JSON.stringify(await exportAuditBundle(db.pool, range, options)));
    const freshKey = file('fresh.pem');
    await writeFile(freshKey, freshPair.publicKeyPem);
    const good = await runExpecting(
      auditCommand,
      ['verify', bundle, '--key', freshKey, '--log-id', logId],
      0,
    );
    expect(json(good.out[0])).toMatchObject({
      ok: true,
      treeSize: 3,
      keyId: old.keyId,
      scopeKeyId: fresh.keyId,
      logId,
      legacyHead: false,
      complete: true,
    });

    // Another log signed with the same keys: its bundle is refused as this log's.
    await appendAuditBatch(other.pool, [0, 1, 2].map(verdictRecord));
    await sign(other.pool, fresh);
    const foreign = file('foreign.json');
    await writeFile(
      foreign,
      JSON.stringify(await exportAuditBundle(other.pool, range, { signingKey: fresh })),
    );
    const wrong = await runExpecting(
      auditCommand,
      ['verify', foreign, '--key', freshKey, '--log-id', logId],
      1,
    );
    expect(json(wrong.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' } });
    await runExpecting(auditCommand, ['verify', foreign, '--log-id', 'not-an-id'], 2);

    // A consistency proof whose later head is the other log's: not an extension of the head kept from this one.
    const keptFile = file('kept.json');
    await writeFile(keptFile, JSON.stringify(kept));
    const proof = await auditConsistencyProof(db.pool, [fresh, old], 3, 5);
    await appendAuditBatch(other.pool, [3, 4].map(verdictRecord));
    const foreignHead = await sign(other.pool, fresh);
    const forged = file('forged-proof.json');
    await writeFile(forged, JSON.stringify({ ...proof, treeHead2: foreignHead }));
    const oldKey = file('old.pem');
    await writeFile(oldKey, pair.publicKeyPem);
    const keys = ['--key', oldKey, '--key', freshKey];
    const mixed = await runExpecting(auditCommand, ['verify-consistency', keptFile, forged, ...keys], 1);
    expect(json(mixed.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' } });
    const proofFile = file('proof.json');
    await writeFile(proofFile, JSON.stringify(proof));
    const consistent = await runExpecting(
      auditCommand,
      ['verify-consistency', keptFile, proofFile, ...keys],
      0,
    );
    expect(json(consistent.out[0])).toMatchObject({
      ok: true,
      fromSize: 3,
      toSize: 5,
      logId,
      legacyHeads: 0,
    });
    const elsewhere = await runExpecting(
      auditCommand,
      ['verify-consistency', keptFile, proofFile, ...keys, '--log-id', 'e'.repeat(32)],
      1,
    );
    expect(json(elsewhere.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' } });

    // The other log's head, kept by an auditor as if it were this log's: verify-log names it and refuses.
    const theirsFile = file('theirs.json');
    await writeFile(theirsFile, JSON.stringify(foreignHead));
    const log = await runExpecting(auditCommand, ['verify-log', ...keys, '--head', theirsFile], 1);
    expect(json(log.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' },
      refusedHeads: [
        { keyId: fresh.keyId, logId: await auditLogId(other.pool), kept: true, reason: 'wrong_log' },
      ],
    });
    const clean = await runExpecting(auditCommand, ['verify-log', ...keys], 0);
    expect(json(clean.out[0])).toMatchObject({ ok: true, records: 5, logId, legacyHeads: 0 });
  });
});
