import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMerkleTree, loadSigningKey, signTreeHead, toHex } from '@mod/audit';
import { withTransaction } from '@mod/db';
import { appendAuditBatch, auditConsistencyProof, createPgMerkleStore } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import { db, json, runExpecting, useAuditorLog, verdictRecord } from './modctl-database.test-helper.js';

const { file, pair, signHead: sign } = useAuditorLog('audit-kept-heads');

/** As the database owner: the log cut back to `size` records, and the heads signed past it deleted. */
async function cutBackTo(size: number): Promise<void> {
  await withTransaction(db.pool, async (c) => {
    for (const [table, sql] of [
      ['audit_records', `delete from audit_records where seq >= ${size}`],
      ['audit_texts', `delete from audit_texts where seq >= ${size}`],
      ['audit_merkle_nodes', `delete from audit_merkle_nodes where ((idx + 1) << level) > ${size}`],
      ['audit_tree_size', `update audit_tree_size set size = ${size}`],
      ['audit_tree_heads', `delete from audit_tree_heads where tree_size > ${size}`],
    ]) {
      await c.query(`alter table ${table} disable trigger user`);
      await c.query(sql as string);
      await c.query(`alter table ${table} enable trigger user`);
    }
  });
}

describe('modctl audit verify-log --head', () => {
  it('checks the stored log against heads kept outside the database, which a cut back cannot delete', async () => {
    await appendAuditBatch(db.pool, [0, 1, 2, 3].map(verdictRecord));
    const early = await sign();
    await appendAuditBatch(db.pool, [4, 5, 6].map(verdictRecord));
    const late = await sign();
    const key = file('key.pem');
    await writeFile(key, pair.publicKeyPem);
    // As an authority keeps them: the API's answer (treeHead and publicKeys), and a head as the topic carries it.
    const answer = file('latest.json');
    await writeFile(answer, JSON.stringify({ treeHead: late, publicKeys: [] }));
    const message = file('early.json');
    await writeFile(message, JSON.stringify(early));
    const kept = ['--head', answer, '--head', message];

    const good = await runExpecting(auditCommand, ['verify-log', '--key', key, ...kept], 0);
    expect(json(good.out[0])).toMatchObject({ ok: true, records: 7, treeSize: 7, keptHeads: 2 });

    await cutBackTo(5);
    // The database's own heads no longer show it.
    const blind = await runExpecting(auditCommand, ['verify-log', '--key', key], 0);
    expect(json(blind.out[0])).toMatchObject({ ok: true, records: 5, treeSize: 4 });
    const cut = await runExpecting(auditCommand, ['verify-log', '--key', key, ...kept], 1);
    expect(json(cut.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_RECORD_DELETED', firstBadRecord: { seq: 5 } },
    });

    // A kept head altered, or a file that holds none: refused, never skipped.
    const altered = file('altered.json');
    await writeFile(altered, JSON.stringify({ ...early, treeSize: 3 }));
    const bad = await runExpecting(auditCommand, ['verify-log', '--key', key, '--head', altered], 1);
    expect(json(bad.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_BAD_SIGNATURE' } });
    const none = file('none.json');
    await writeFile(none, JSON.stringify({ treeSize: 'seven' }));
    const malformed = await runExpecting(auditCommand, ['verify-log', '--key', key, '--head', none], 1);
    expect(json(malformed.out[0])).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED' },
    });
  });
});

describe('modctl audit verify-consistency', () => {
  it('proves offline that a later head extends a kept one, and refuses a forked history', async () => {
    await cutBackTo(0);
    await appendAuditBatch(db.pool, [10, 11, 12, 13, 14].map(verdictRecord));
    const kept = await sign();
    await appendAuditBatch(db.pool, [15, 16, 17].map(verdictRecord));
    await sign();
    const key = file('key.pem');
    await writeFile(key, pair.publicKeyPem);
    const keptFile = file('kept-5.json');
    await writeFile(keptFile, JSON.stringify({ treeHead: kept, publicKeys: [] }));
    const proofFile = file('consistency.json');
    /** The stored log's proof that it extends size 5, checked offline against the kept head with the key. */
    const verifyKept = async (exitCode: number) => {
      await writeFile(
        proofFile,
        JSON.stringify(await auditConsistencyProof(db.pool, [loadSigningKey(pair.privateKeyPem)], 5)),
      );
      return runExpecting(auditCommand, ['verify-consistency', keptFile, proofFile, '--key', key], exitCode);
    };
    const good = await verifyKept(0);
    expect(json(good.out[0])).toMatchObject({ ok: true, fromSize: 5, toSize: 8 });

    // A second history signed under the log's key (cut back to 3, other records): it does not extend the head kept.
    await cutBackTo(3);
    await appendAuditBatch(db.pool, [20, 21, 22, 23, 24].map(verdictRecord));
    const tree = createMerkleTree(createPgMerkleStore(db.pool));
    const forked = signTreeHead(
      { treeSize: 8, rootHash: toHex(await tree.root(8)), timestamp: new Date().toISOString() },
      loadSigningKey(pair.privateKeyPem),
    );
    await withTransaction(db.pool, (c) =>
      c.query(
        `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature)
         values ($1, $2, $3, $4, $5)`,
        [8, Buffer.from(forked.rootHash, 'hex'), forked.timestamp, forked.keyId, forked.signature],
      ),
    );
    const fork = await verifyKept(1);
    expect(json(fork.out[0])).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_BAD_PROOF' } });
    // Without keys to trust, nothing is proven.
    await runExpecting(auditCommand, ['verify-consistency', keptFile, proofFile], 2);
  });
});
