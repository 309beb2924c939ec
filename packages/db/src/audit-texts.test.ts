import { beforeEach, describe, expect, it } from 'vitest';
import { buildRecord, computeAppendNodes, encodeRecord, peakIds, verifyBundle } from '@mod/audit';
import {
  appendAuditBatch,
  createPgMerkleStore,
  eraseAuditText,
  exportAuditBundle,
  listAudit,
  verifyStoredLog,
} from './domains/audit.js';
import { withTransaction } from './index.js';
import { auditEntry, db, key, signNow, tamper, useAuditSchema } from './audit.test-helper.js';

// Erasable free text: a record's reason lives beside the log (audit_texts), the record holds a salted commitment.

useAuditSchema();
const sign = signNow;
const bundle = () => exportAuditBundle(db.pool, { kind: 'range', fromSeq: 0, toSeq: 5 }, { signingKey: key });
const admin = { kind: 'person', id: 'admin-1' } as const;

/** A record as logs wrote them before texts were erasable: its reason inside the hashed bytes. */
async function appendLegacy(reason: string): Promise<number> {
  return withTransaction(db.pool, async (c) => {
    const store = createPgMerkleStore(c);
    const size = await store.size();
    const draft = { ...auditEntry(size), reason, evidence: { sha256: 'ab'.repeat(32) } };
    const encoded = encodeRecord(buildRecord(draft, size));
    const nodes = computeAppendNodes(size, await store.getNodes(peakIds(size)), [encoded.leafHash]);
    await store.putNodes(nodes, size, size + 1);
    await c.query(`insert into audit_records (seq, record, recorded_at) values ($1, $2, $3)`, [
      size,
      encoded.canonical,
      encoded.record.time,
    ]);
    await c.query(`insert into audit_refs (ref, seq) values ($1, $2), ($3, $2)`, [
      encoded.record.subject.id,
      size,
      'ab'.repeat(32),
    ]);
    return size;
  });
}

beforeEach(async () => {
  await appendAuditBatch(
    db.pool,
    Array.from({ length: 5 }, (_, i) =>
      auditEntry(i, { reason: `lý do ${i}: ${'chi tiết '.repeat(i * 40)}` }),
    ),
  );
  expect(await appendLegacy('legacy reason')).toBe(5);
  await sign();
});

describe('erasable reasons', () => {
  it('keeps the whole reason beside the log; the leaf holds only a salted commitment', async () => {
    const [first, , , third] = await listAudit(db.pool);
    expect(third?.reason).toBe(`lý do 3: ${'chi tiết '.repeat(120)}`);
    expect(third?.canonical).not.toContain('lý do');
    expect(third?.canonical).toMatch(/"reason":null/);
    expect(first?.commitments?.['reason']).toMatch(/^[0-9a-f]{64}$/);
    // The same text twice commits differently (salted): nothing to guess a short text from.
    const [again] = await appendAuditBatch(db.pool, [auditEntry(0, { reason: first?.reason ?? '' })]);
    expect(again?.commitments?.['reason']).not.toBe(first?.commitments?.['reason']);
  });

  it('erases a reason: the tree, the heads and a bundle still verify, and the erasure is a record', async () => {
    const done = await eraseAuditText(db.pool, {
      seq: 2,
      field: 'reason',
      actor: admin,
      reason: 'data subject',
    });
    expect(done.record).toMatchObject({
      action: 'audit.text_erased',
      actor: admin,
      subject: { type: 'audit_record', id: '2' },
      reason: 'data subject',
    });
    const { rows } = await db.pool.query<{ text: string | null; salt: Buffer | null; erased_by: string }>(
      `select text, salt, erased_by from audit_texts where seq = 2`,
    );
    expect(rows).toEqual([{ text: null, salt: null, erased_by: 'person:admin-1' }]);
    const erased = (await listAudit(db.pool, { fromSeq: 2, limit: 1 }))[0];
    expect(erased?.reason).toBeNull();
    expect(erased?.erased).toEqual({ reason: done.erasedAt });
    await sign();
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 7 });
    const b = await bundle();
    expect(b.entries[2]?.texts).toEqual({ reason: { erasedAt: done.erasedAt } });
    expect(b.entries[1]?.texts?.['reason']).toMatchObject({
      text: expect.stringContaining('lý do 1') as unknown,
    });
    expect(verifyBundle(b)).toMatchObject({ ok: true, records: 6 });
    // Again: nothing done, no second record.
    expect(await eraseAuditText(db.pool, { seq: 2, field: 'reason', actor: admin })).toMatchObject({
      erasedAt: done.erasedAt,
      record: null,
    });
    // The row cannot be changed otherwise, not even un-erased.
    await expect(db.pool.query(`update audit_texts set text = 'back' where seq = 2`)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('names a tampered reason, in the stored log and in a bundle', async () => {
    await tamper('audit_texts', `update audit_texts set text = 'forged' where seq = 3`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { seq: 3 } },
    });
    expect(verifyBundle(await bundle())).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { index: 3, seq: 3 } },
    });
  });

  it('refuses a text with no commitment, and a committed text gone', async () => {
    await tamper(
      'audit_texts',
      `insert into audit_texts (seq, field, text, salt) values (5, 'reason', 'x', '\\x${'00'.repeat(32)}')`,
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 5 } },
    });
    const b = await bundle();
    expect(verifyBundle(b)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 5 } },
    });
    await tamper('audit_texts', `delete from audit_texts where seq >= 4`);
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', firstBadRecord: { seq: 4 } },
    });
  });

  it('names a reason erased behind the log: the erasure without its audit.text_erased record', async () => {
    // The trigger lets the application role erase (it is how eraseAuditText erases), so an erasure alone proves
    // nothing: the stored log must also hold the record of it.
    await db.pool.query(
      `update audit_texts set text = null, salt = null, erased_at = now(), erased_by = 'person:intruder'
       where seq = 1 and field = 'reason'`,
    );
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { reason: 'changed', code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { seq: 1 } },
    });
    // Erased as the route erases, the other one is accounted for; the silent one is still named.
    await eraseAuditText(db.pool, { seq: 2, field: 'reason', actor: admin });
    expect(await verifyStoredLog(db.pool)).toMatchObject({
      ok: false,
      error: { firstBadRecord: { seq: 1 } },
    });
  });

  it('keeps legacy records verifying, and says they cannot be erased', async () => {
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 6 });
    expect((await listAudit(db.pool, { fromSeq: 5 }))[0]?.reason).toBe('legacy reason');
    await expect(eraseAuditText(db.pool, { seq: 5, field: 'reason', actor: admin })).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_NOT_ERASABLE',
    });
    await expect(eraseAuditText(db.pool, { seq: 99, field: 'reason', actor: admin })).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_NOT_ERASABLE',
    });
    expect(await db.pool.query(`select 1 from audit_records where seq > 5`)).toMatchObject({ rowCount: 0 });
    expect(verifyBundle(await bundle())).toMatchObject({ ok: true });
  });
});
