import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, decodeRecord } from '@mod/audit';
import {
  appendAuditBatch,
  exportAuditBundle,
  listAudit,
  signTreeHeadIfDue,
  verifyStoredLog,
  type SignedTreeHead,
} from './domains/audit.js';
import { auditEntry, cutBackTo, db, key, tamper, useAuditSchema } from './audit.test-helper.js';

// The stored log as the database owner could leave it after the last signed head: records appended since are
// part of the tree too, and a record the tree does not hold is no record of the log.

useAuditSchema();
beforeEach(async () => {
  await appendAuditBatch(
    db.pool,
    Array.from({ length: 6 }, (_, i) => auditEntry(i)),
  );
  await signTreeHeadIfDue(db.pool, {
    key,
    schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
    topic: null,
    force: true,
  });
  // Four records after the last signed head.
  await appendAuditBatch(
    db.pool,
    Array.from({ length: 4 }, (_, i) => auditEntry(6 + i)),
  );
  expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 10 });
});
describe('verifyStoredLog after the last signed head', () => {
  it('names a changed record appended after the last head', async () => {
    await tamper(
      'audit_records',
      `update audit_records set record = replace(record, '"policy":"1"', '"policy":"X"') where seq = 8`,
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { seq: 8 } },
    });
  });

  it('names a deleted record appended after the last head', async () => {
    await tamper('audit_records', `delete from audit_records where seq = 9`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'deleted', code: 'MOD_ERR_AUDIT_RECORD_DELETED', firstBadRecord: { seq: 9 } },
    });
  });

  it('names a record inserted past the tree (the application role may insert)', async () => {
    const [last] = await listAudit(db.pool, { fromSeq: 9, limit: 1 });
    const forged = JSON.parse(last?.canonical ?? '{}') as Record<string, unknown>;
    const record = canonicalJson({ ...forged, seq: 10, versions: { policy: 'never-appended' } });
    expect(decodeRecord(record).record.seq).toBe(10);
    // Inserting needs no trigger off: audit_records is append-only, not append-through-the-tree-only.
    await db.pool.query(`insert into audit_records (seq, record, recorded_at) values (10, $1, now())`, [
      record,
    ]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { seq: 10 } },
    });
  });

  it('names a tree cut back below a signed head, and a missing leaf, instead of throwing', async () => {
    await tamper('audit_merkle_nodes', `delete from audit_merkle_nodes where level = 0 and idx = 7`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'bad_proof', code: 'MOD_ERR_AUDIT_BAD_PROOF', firstBadRecord: null },
    });
    await tamper('audit_tree_size', `update audit_tree_size set size = 4`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'deleted', code: 'MOD_ERR_AUDIT_RECORD_DELETED', firstBadRecord: { seq: 4 } },
    });
  });
});

describe('verifyStoredLog and the heads a verifier kept', () => {
  // An authority keeps the heads it was given (the API, the tree-heads topic): the database's owner can delete
  // the newer heads' rows together with the records they signed, but not the copies kept outside.
  const signNow = () =>
    signTreeHeadIfDue(db.pool, {
      key,
      schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
      topic: null,
      force: true,
    });

  it('names the newest records cut back together with their head, against the head kept', async () => {
    const kept = await signNow();
    expect(kept).toMatchObject({ treeSize: 10 });
    await cutBackTo(8);
    await tamper('audit_tree_heads', `delete from audit_tree_heads where tree_size > 8`);
    // The database alone no longer shows the cut: its own heads all verify.
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 8 });
    expect(await verifyStoredLog(db.pool, { keptHeads: kept === null ? [] : [kept] })).toMatchObject({
      ok: false,
      error: { reason: 'deleted', code: 'MOD_ERR_AUDIT_RECORD_DELETED', firstBadRecord: { seq: 8 } },
    });
  });

  it('names records rewritten after the last head the database still holds, against the head kept', async () => {
    const kept = await signNow();
    await cutBackTo(8);
    await tamper('audit_tree_heads', `delete from audit_tree_heads where tree_size > 8`);
    await appendAuditBatch(db.pool, [auditEntry(108), auditEntry(109)]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 10 });
    expect(await verifyStoredLog(db.pool, { keptHeads: kept === null ? [] : [kept] })).toMatchObject({
      ok: false,
      error: { reason: 'bad_proof', firstBadRecord: { seq: 6 } },
    });
  });

  it('refuses a kept head that is not signed by a trusted key', async () => {
    const kept = await signNow();
    const forged = { ...(kept as SignedTreeHead), treeSize: 9 };
    expect(await verifyStoredLog(db.pool, { keptHeads: [forged] })).toMatchObject({
      ok: false,
      error: { reason: 'bad_signature' },
    });
    expect(await verifyStoredLog(db.pool, { keptHeads: [kept as SignedTreeHead] })).toMatchObject({
      ok: true,
      records: 10,
      treeHead: kept,
    });
  });
});

describe('verifyStoredLog and the refs case exports find records by', () => {
  it('names a record whose ref row was deleted, which case exports then leave out', async () => {
    const caseOf = async (ref: string) =>
      (await exportAuditBundle(db.pool, { kind: 'refs', refs: [ref] }, { signingKey: key })).scope;
    expect(await caseOf('sub-3')).toMatchObject({ seqs: [3] });
    expect(await caseOf('bank-2')).toMatchObject({ seqs: [2, 5] });
    await tamper('audit_refs', `delete from audit_refs where seq = 3 and ref = 'sub-3'`);
    await tamper('audit_refs', `delete from audit_refs where seq = 5 and ref = 'bank-2'`);
    // The case's bundle, signed and proven, says the case has no record.
    expect(await caseOf('sub-3')).toMatchObject({ seqs: [] });
    expect(await caseOf('bank-2')).toMatchObject({ seqs: [2] });
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 3 } },
    });
    await tamper('audit_refs', `insert into audit_refs (ref, seq) values ('sub-3', 3)`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 5 } },
    });
    await tamper('audit_refs', `insert into audit_refs (ref, seq) values ('bank-2', 5)`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 10 });
  });
});

/** The digest record `seq` carries for its evidence `name`. */
async function digestOf(seq: number, name: string): Promise<string> {
  const [record] = await listAudit(db.pool, { fromSeq: seq, limit: 1 });
  return record?.evidence[name] ?? '';
}

describe('verifyStoredLog and evidence documents deleted behind the triggers', () => {
  it('names every record whose evidence document is gone, across chunks, and lists them all', async () => {
    // As a superuser or the owner could: the append-only trigger off, two documents deleted.
    await tamper('audit_evidence', `delete from audit_evidence where seq in (3, 8)`);
    const missing = [
      { seq: 3, name: 'hits', digest: await digestOf(3, 'hits') },
      { seq: 8, name: 'hits', digest: await digestOf(8, 'hits') },
    ];
    expect(missing[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const chunkRecords of [5000, 3]) {
      expect(await verifyStoredLog(db.pool, { chunkRecords })).toEqual({
        ok: false,
        error: {
          reason: 'evidence_missing',
          code: 'MOD_ERR_AUDIT_EVIDENCE_MISSING',
          message: '2 evidence document(s) gone from audit_evidence, the first hits of record 3',
          firstBadRecord: { seq: 3 },
        },
        missingEvidence: missing,
        missingEvidenceCount: 2,
        refusedHeads: [],
      });
    }
    // Listed up to maxFindings, all counted.
    expect(await verifyStoredLog(db.pool, { maxFindings: 1 })).toMatchObject({
      missingEvidence: [missing[0]],
      missingEvidenceCount: 2,
      error: { firstBadRecord: { seq: 3 } },
    });
  });

  it('takes a digest given as it is (no document) for no loss, and still names a deleted document beside it', async () => {
    const image = 'ab'.repeat(32);
    await appendAuditBatch(db.pool, [auditEntry(10, { evidence: { sha256: image, note: { text: 'x' } } })]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 11 });
    await tamper('audit_evidence', `delete from audit_evidence where seq = 10`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'evidence_missing', firstBadRecord: { seq: 10 } },
      missingEvidence: [{ seq: 10, name: 'note', digest: await digestOf(10, 'note') }],
      missingEvidenceCount: 1,
    });
  });

  it('names a deleted document even when a ref row is forged to pass its digest off as one given as it is', async () => {
    const image = 'ab'.repeat(32);
    await appendAuditBatch(db.pool, [auditEntry(10, { evidence: { sha256: image, note: { text: 'x' } } })]);
    const note = await digestOf(10, 'note');
    const [record] = await listAudit(db.pool, { fromSeq: 10, limit: 1 });
    // The record itself says which of its digests have documents; that list is inside the signed tree.
    expect(record?.documents).toEqual(['note']);
    await tamper('audit_evidence', `delete from audit_evidence where seq = 10`);
    await db.pool.query(`insert into audit_refs (ref, seq) values ($1, 10)`, [note]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'evidence_missing', firstBadRecord: { seq: 10 } },
      missingEvidence: [{ seq: 10, name: 'note', digest: note }],
      missingEvidenceCount: 1,
    });
  });

  it('tells the documents of records older than the list by their ref rows (forged ones pass, as they did)', async () => {
    // A record as the log wrote them before records named their documents: no `documents`, a document row for
    // `note`, and ref rows for the subject and the digest given as it is only.
    const document = canonicalJson({ text: 'x' });
    const note = createHash('sha256').update(document, 'utf8').digest('hex');
    const image = 'ab'.repeat(32);
    await appendAuditBatch(db.pool, [auditEntry(10, { evidence: { sha256: image, note } })]);
    const [record] = await listAudit(db.pool, { fromSeq: 10, limit: 1 });
    expect(record?.documents).toBeUndefined();
    await db.pool.query(`insert into audit_evidence (seq, name, document) values (10, 'note', $1)`, [
      document,
    ]);
    await tamper('audit_refs', `delete from audit_refs where seq = 10 and ref = '${note}'`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 11 });

    await tamper('audit_evidence', `delete from audit_evidence where seq = 10`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'evidence_missing', firstBadRecord: { seq: 10 } },
      missingEvidence: [{ seq: 10, name: 'note', digest: note }],
    });
    // The limit the list removes for new records: a forged ref row hides the loss.
    await db.pool.query(`insert into audit_refs (ref, seq) values ($1, 10)`, [note]);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 11 });
  });

  it('reports a worse problem first, with the documents found gone before it; a changed one stays changed', async () => {
    await tamper('audit_evidence', `delete from audit_evidence where seq = 2`);
    await tamper(
      'audit_records',
      `update audit_records set record = replace(record, '"policy":"1"', '"policy":"X"') where seq = 8`,
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 8 } },
      missingEvidence: [{ seq: 2, name: 'hits' }],
      missingEvidenceCount: 1,
    });
    await tamper('audit_evidence', `update audit_evidence set document = '[]' where seq = 1`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { seq: 1 } },
      missingEvidenceCount: 0,
    });
  });
});
