import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  generateSigningKeyPair,
  loadSigningKey,
  signTreeHead,
  type SignedTreeHead,
  type SigningKey,
} from '@mod/audit';
import { appendAuditBatch, auditConsistencyProof } from '@mod/db/audit';
import { exportAuditBundle, registerAuditPublicKeys } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import {
  db,
  json,
  rotatedAuditLog,
  runExpecting,
  signHeadWith,
  useAuditorLog,
  verdictRecord,
} from './modctl-database.test-helper.js';

// modctl audit verify-log and verify-consistency after a key rotation, against the real PostgreSQL log and the
// real verifier: the current key alone is enough (the old key's heads count through the log's key history), and
// a head of a key the history does not vouch for fails with MOD_ERR_AUDIT_UNKNOWN_KEY.

const { file, pair } = useAuditorLog('audit-key-history');

const sign = (key: SigningKey, trusted = [key]) => signHeadWith(db.pool, key, trusted);

/** Stores a head row as whoever may write audit_tree_heads could. */
const storeHead = (head: SignedTreeHead) =>
  db.pool.query(
    `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature, log_id)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      head.treeSize,
      Buffer.from(head.rootHash, 'hex'),
      new Date(head.timestamp),
      head.keyId,
      head.signature,
      head.logId,
    ],
  );

describe('modctl audit and the key history', () => {
  it('verifies the log and a kept old-key head with the current key alone; refuses keys no one vouches for', async () => {
    const { old, fresh, kept, later: current, logId, freshKey } = await rotatedAuditLog(pair, file);

    // verify-log: the old key's heads (sizes 2 and 3) are sealed by the fresh key's head of size 5.
    const log = await runExpecting(auditCommand, ['verify-log', '--key', freshKey], 0);
    expect(json(log.out[0])).toMatchObject({
      ok: true,
      records: 5,
      treeSize: 5,
      logId,
      trustedKeys: 'given',
      handedOverKeys: [{ keyId: old.keyId, fromSize: 2, toSize: 3, handedTo: fresh.keyId }],
    });

    // verify-consistency: the kept head of size 3 is the old key's; without the key history it is unknown.
    const keptFile = file('kept.json');
    await writeFile(keptFile, JSON.stringify(kept));
    const proofFile = file('proof.json');
    await writeFile(proofFile, JSON.stringify(await auditConsistencyProof(db.pool, [fresh, old], 3, 5)));
    const bare = await runExpecting(
      auditCommand,
      ['verify-consistency', keptFile, proofFile, '--key', freshKey],
      1,
    );
    expect(json(bare.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY' } });
    const history = file('history.json');
    const range = { kind: 'range', fromSeq: 0, toSeq: 4 } as const;
    const bundle = await exportAuditBundle(db.pool, range, { signingKey: fresh, trusted: [fresh, old] });
    await writeFile(history, JSON.stringify(bundle));
    const args = ['verify-consistency', keptFile, proofFile, '--key', freshKey, '--history', history];
    const good = await runExpecting(auditCommand, args, 0);
    expect(json(good.out[0])).toMatchObject({ ok: true, fromSize: 3, toSize: 5, logId, keyId: fresh.keyId });

    // A key history altered to vouch for the old key at more sizes no longer verifies under its scope signature.
    const widened = { ...bundle, keyHistory: bundle.keyHistory.map((k) => ({ ...k, toSize: null })) };
    const forgedHistory = file('forged-history.json');
    await writeFile(forgedHistory, JSON.stringify(widened));
    const forged = await runExpecting(
      auditCommand,
      ['verify-consistency', keptFile, proofFile, '--key', freshKey, '--history', forgedHistory],
      1,
    );
    expect(json(forged.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE' },
    });

    // A kept head the history lists at no size of the old key's range: refused, typed.
    const outside = signTreeHead(current, old);
    const outsideFile = file('outside.json');
    await writeFile(outsideFile, JSON.stringify(outside));
    const beyond = await runExpecting(
      auditCommand,
      ['verify-consistency', outsideFile, proofFile, '--key', freshKey, '--history', history],
      1,
    );
    expect(json(beyond.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY' } });

    // verify-log: a key the database lists whose head lies past the last head of a --key is unknown.
    const stranger = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    await appendAuditBatch(db.pool, [5].map(verdictRecord));
    await registerAuditPublicKeys(db.pool, [stranger]);
    const { rows } = await db.pool.query<{ size: number }>('select size from audit_tree_size');
    expect(rows[0]?.size).toBe(6);
    const fresher = await sign(fresh, [fresh, old]);
    await storeHead(signTreeHead({ ...fresher, treeSize: 6 }, stranger));
    const late = await runExpecting(auditCommand, ['verify-log', '--key', freshKey], 0);
    expect(json(late.out[0])).toMatchObject({ ok: true, records: 6 });
    await appendAuditBatch(db.pool, [6].map(verdictRecord));
    const past = signTreeHead({ ...fresher, treeSize: 7, timestamp: new Date().toISOString() }, stranger);
    await storeHead(past);
    const unknown = await runExpecting(auditCommand, ['verify-log', '--key', freshKey], 1);
    expect(json(unknown.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY' },
      refusedHeads: [
        { treeSize: 6, keyId: stranger.keyId, kept: false, reason: 'unknown_key' },
        { treeSize: 7, keyId: stranger.keyId, kept: false, reason: 'unknown_key' },
      ],
    });
  });
});
