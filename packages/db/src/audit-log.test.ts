import { beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryMerkleStore,
  createMerkleTree,
  decodeRecord,
  fromHex,
  toHex,
  verifyBundle,
  verifyConsistency,
  verifyInclusion,
} from '@mod/audit';
import { withTransaction } from './index.js';
import {
  appendAudit,
  appendAuditAlone,
  appendAuditBatch,
  auditConsistencyProof,
  auditEvidence,
  auditInclusionProof,
  createPgMerkleStore,
  exportAuditBundle,
  latestTreeHead,
  listAudit,
  loadAuditKeys,
  signTreeHeadIfDue,
  verifyStoredLog,
} from './domains/audit.js';
import { auditEntry, db, key, tamper, useAuditSchema } from './audit.test-helper.js';

useAuditSchema();

const sign = (force = true) =>
  signTreeHeadIfDue(db.pool, {
    key,
    schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
    topic: 'mod.audit-tree-heads.v1',
    force,
  });

describe('Postgres audit log', () => {
  it('appends in one total order and grows the same tree as the reference in-memory tree', async () => {
    // Several records in one transaction (the edge is read once), others alone, others from concurrent appenders.
    await withTransaction(db.pool, async (c) => {
      for (let i = 0; i < 5; i++) await appendAudit(c, auditEntry(i));
    });
    await appendAuditBatch(db.pool, [auditEntry(5), auditEntry(6), auditEntry(7)]);
    await Promise.all(Array.from({ length: 12 }, (_, i) => appendAuditAlone(db.pool, auditEntry(8 + i))));
    // A savepoint rolled back after an append: the next append of the transaction must not reuse its edge.
    await withTransaction(db.pool, async (c) => {
      await appendAudit(c, auditEntry(20));
      await c.query('savepoint s');
      await appendAudit(c, auditEntry(21));
      await c.query('rollback to savepoint s');
      await appendAudit(c, auditEntry(22));
    });

    const records = await listAudit(db.pool);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i));
    const reference = createMerkleTree(createMemoryMerkleStore());
    await reference.appendLeafHashes(records.map((r) => decodeRecord(r.canonical).leafHash));
    const pg = createMerkleTree(createPgMerkleStore(db.pool));
    expect(await pg.size()).toBe(22);
    for (const size of [1, 7, 16, 22])
      expect(toHex(await pg.root(size))).toBe(toHex(await reference.root(size)));
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 22, treeHead: null });
  });

  it("appends a transaction's first batch in three statements: the lock, the tree's edge, one write", async () => {
    await appendAuditBatch(db.pool, [auditEntry(0), auditEntry(1), auditEntry(2)]);
    const statements: string[] = [];
    await withTransaction(db.pool, async (c) => {
      const counted = Object.assign(Object.create(c) as typeof c, {
        query: (text: string, values?: unknown[]) => {
          statements.push(/\/\* (\S+) \*\//.exec(text)?.[1] ?? text);
          return c.query(text, values);
        },
      });
      await appendAuditBatch(counted, [auditEntry(3), auditEntry(4)]);
      await appendAuditBatch(counted, [auditEntry(5)]);
    });
    expect(statements).toEqual([
      'audit:lock',
      'audit:edge',
      'audit:put-nodes',
      'audit:lock',
      'audit:put-nodes',
    ]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 6 });
  });

  it('keeps digests in the record and the evidence documents beside it', async () => {
    const [stored] = await appendAuditBatch(db.pool, [
      auditEntry(0, { subject: { type: 'route', id: 'POST /v1/media' }, reason: 'x'.repeat(500) }),
    ]);
    expect(stored?.subject.id).toBe('POST_/v1/media');
    expect(stored?.canonical).not.toContain('bank-0');
    const evidence = await auditEvidence(db.pool, 0);
    expect(evidence?.map((e) => e.name).sort()).toEqual(['hits']);
    const hits = evidence?.find((e) => e.name === 'hits');
    expect(hits).toMatchObject({ document: '[{"bankId":"bank-0"}]' });
    expect(hits?.digest).toBe(stored?.evidence['hits']);
    // The reason is kept whole beside the log (erasable); the record holds only its salted commitment.
    expect(stored?.reason).toBe('x'.repeat(500));
    expect(stored?.canonical).not.toContain('xxx');
    expect(stored?.canonical).toMatch(/"commitments":\{"reason":"[0-9a-f]{64}"\}/);
    expect((await listAudit(db.pool))[0]?.reason).toBe('x'.repeat(500));
    expect(await auditEvidence(db.pool, 5)).toBeNull();
  });

  it('refuses UPDATE, DELETE, TRUNCATE and a size moving backwards', async () => {
    await appendAuditBatch(db.pool, [auditEntry(0), auditEntry(1)]);
    await sign();
    for (const table of ['audit_records', 'audit_merkle_nodes', 'audit_evidence', 'audit_tree_heads']) {
      await expect(db.pool.query(`delete from ${table}`)).rejects.toMatchObject({ code: '42501' });
      await expect(db.pool.query(`truncate ${table}`)).rejects.toMatchObject({ code: '42501' });
    }
    await expect(db.pool.query(`update audit_merkle_nodes set hash = hash`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(db.pool.query(`update audit_tree_size set size = 1`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(db.pool.query(`delete from audit_tree_size`)).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.pool.query(`insert into audit_log_legacy (actor_kind, actor_id, action, subject_type,
      subject_id, record_sha256, prev_sha256) values ('user', 'u', 'a.b', 't', 'i', '', '')`),
    ).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('signs heads on schedule, and serves inclusion and consistency proofs that verify', async () => {
    expect(await sign()).toBeNull(); // nothing to sign in an empty log
    await appendAuditBatch(db.pool, [auditEntry(0), auditEntry(1), auditEntry(2)]);
    const schedule = { everyRecords: 5, everyMs: 3_600_000 };
    const first = await signTreeHeadIfDue(db.pool, { key, schedule, topic: 'heads' });
    expect(first).toMatchObject({ treeSize: 3, keyId: key.keyId });
    await appendAuditBatch(db.pool, [auditEntry(3), auditEntry(4)]);
    expect(await signTreeHeadIfDue(db.pool, { key, schedule, topic: 'heads' })).toBeNull(); // 2 < 5
    await appendAuditBatch(db.pool, [auditEntry(5), auditEntry(6), auditEntry(7), auditEntry(8)]);
    const second = await signTreeHeadIfDue(db.pool, { key, schedule, topic: 'heads' });
    expect(second?.treeSize).toBe(9);
    expect(await latestTreeHead(db.pool, [key])).toEqual(second);
    const outbox = await db.pool.query<{ topic: string; payload: unknown }>(
      'select topic, payload from outbox',
    );
    expect(outbox.rows).toEqual([
      { topic: 'heads', payload: first },
      { topic: 'heads', payload: second },
    ]);

    for (const [seq, size] of [
      [0, 9],
      [8, 9],
      [2, 3],
    ] as const) {
      const { treeHead, entry: e } = await auditInclusionProof(
        db.pool,
        [key],
        seq,
        size === 9 ? undefined : size,
      );
      expect(treeHead.treeSize).toBe(size);
      const proof = e.inclusionProof.map((p) => fromHex(p) as Buffer);
      const root = Buffer.from(treeHead.rootHash, 'hex');
      expect(verifyInclusion(seq, size, Buffer.from(e.leafHash, 'hex'), proof, root)).toBe(true);
      expect(verifyInclusion(seq, size, Buffer.alloc(32), proof, root)).toBe(false);
    }
    await expect(auditInclusionProof(db.pool, [key], 9)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE',
    });
    await expect(auditInclusionProof(db.pool, [key], 0, 4)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_NO_TREE_HEAD',
    });

    const c = await auditConsistencyProof(db.pool, [key], 3);
    expect(c).toMatchObject({ size1: 3, size2: 9, rootHash1: first?.rootHash, rootHash2: second?.rootHash });
    const proof = c.proof.map((p) => fromHex(p) as Buffer);
    const [r1, r2] = [Buffer.from(c.rootHash1, 'hex'), Buffer.from(c.rootHash2, 'hex')];
    expect(verifyConsistency(3, 9, r1, r2, proof)).toBe(true);
    expect(verifyConsistency(3, 9, r2, r1, proof)).toBe(false);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 9, treeHead: second });
  });

  it('exports case and range bundles that the offline verifier accepts', async () => {
    await appendAuditBatch(db.pool, [
      auditEntry(0),
      auditEntry(1, {
        action: 'order.issued',
        subject: { type: 'order', id: 'order-9' },
        evidence: { submissionId: 'sub-0' },
      }),
      auditEntry(2),
      auditEntry(3, {
        action: 'order.issued',
        subject: { type: 'order', id: 'order-8' },
        evidence: { submissionId: 'sub-2' },
      }),
    ]);
    const head = await sign();
    await appendAuditBatch(db.pool, [
      auditEntry(0, { action: 'order.closed', subject: { type: 'order', id: 'order-9' } }),
    ]);

    const kase = await exportAuditBundle(
      db.pool,
      { kind: 'refs', refs: ['sub-0'], label: 'case-1' },
      { signingKey: key },
    );
    expect(kase.scope).toEqual({
      kind: 'records',
      seqs: [0, 1],
      label: 'case-1',
      refs: ['sub-0'],
      audience: 'all',
    });
    expect(kase.scopeSignature?.keyId).toBe(key.keyId);
    expect(kase.treeHead).toEqual(head); // record 4 is not signed yet, so not exported
    expect(verifyBundle(JSON.parse(JSON.stringify(kase)))).toMatchObject({
      ok: true,
      records: 2,
      treeSize: 4,
    });
    const { trusted } = loadAuditKeys({
      signingKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    expect(verifyBundle(kase, { trustedKeys: trusted })).toMatchObject({ ok: true });
    expect(verifyBundle(kase, { trustedKeys: loadAuditKeys({}).trusted })).toMatchObject({
      ok: false,
      error: { reason: 'unknown_key' },
    });

    const range = await exportAuditBundle(
      db.pool,
      { kind: 'range', fromSeq: 1, toSeq: 3 },
      { signingKey: key },
    );
    expect(verifyBundle(range)).toMatchObject({ ok: true, records: 3, complete: true });
    await expect(
      exportAuditBundle(db.pool, { kind: 'range', fromSeq: 0, toSeq: 4 }, { signingKey: key }),
    ).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE',
    });
    await expect(
      exportAuditBundle(db.pool, { kind: 'range', fromSeq: 0, toSeq: 3 }, { signingKey: key, maxRecords: 2 }),
    ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS' });

    // A time window the signed records do not close (it runs into the future) is refused (audit-time-export.test).
    await expect(
      exportAuditBundle(
        db.pool,
        { kind: 'time', from: new Date(0), to: new Date(Date.now() + 60_000) },
        { signingKey: key },
      ),
    ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE' });
  });
});

describe('tampering as the database owner', () => {
  beforeEach(async () => {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 6 }, (_, i) => auditEntry(i)),
    );
    await sign();
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 4 }, (_, i) => auditEntry(6 + i)),
    );
    await sign();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 10 });
  });

  const rangeBundle = () =>
    exportAuditBundle(db.pool, { kind: 'range', fromSeq: 0, toSeq: 9 }, { signingKey: key });
  /** Both checks catch the tampering: the exported range fails with `inBundle`, the stored log with `inLog`. */
  const expectCaught = async (inBundle: object, inLog: object) => {
    expect(verifyBundle(await rangeBundle())).toMatchObject({ ok: false, error: inBundle });
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: false, error: inLog });
  };

  it('a changed record is named, in the export and in the stored log', async () => {
    await tamper(
      'audit_records',
      `update audit_records set record = replace(record, '"policy":"1"', '"policy":"X"') where seq = 3`,
    );
    await expectCaught(
      { reason: 'changed', firstBadRecord: { index: 3, seq: 3 } },
      { reason: 'changed', firstBadRecord: { seq: 3 } },
    );
  });

  it('a deleted record is named', async () => {
    await tamper('audit_records', `delete from audit_records where seq = 4`);
    const deleted = { reason: 'deleted', firstBadRecord: { seq: 4 } };
    await expectCaught(deleted, deleted);
  });

  it('reordered records are named', async () => {
    await tamper(
      'audit_records',
      `update audit_records r set record = o.record from audit_records o
       where (r.seq, o.seq) in ((2, 5), (5, 2))`,
    );
    await expectCaught(
      { reason: 'reordered', firstBadRecord: { seq: 5 } },
      { reason: 'reordered', firstBadRecord: { seq: 2 } },
    );
  });

  it('a record rewritten together with its stored leaf hash is caught by the signed roots', async () => {
    const forged = (await listAudit(db.pool, { fromSeq: 7, limit: 1 }))[0]?.canonical.replace(
      '"policy":"1"',
      '"policy":"Y"',
    );
    const leaf = decodeRecord(forged ?? '').leafHash;
    await tamper('audit_records', `update audit_records set record = '${forged}' where seq = 7`);
    await tamper(
      'audit_merkle_nodes',
      `update audit_merkle_nodes set hash = '\\x${toHex(leaf)}' where level = 0 and idx = 7`,
    );
    // In the stored log, heads at 6 and 10: the rewrite lies after the last head that still verifies.
    await expectCaught({ reason: 'bad_proof' }, { reason: 'bad_proof', firstBadRecord: { seq: 6 } });
  });

  it('a changed evidence document or tree head is caught', async () => {
    await tamper(
      'audit_evidence',
      `update audit_evidence set document = '[{"bankId":"other"}]' where seq = 8`,
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 8 } },
    });
    await tamper('audit_tree_heads', `update audit_tree_heads set tree_size = 9 where tree_size = 10`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: false, error: { reason: 'bad_signature' } });
  });
});
