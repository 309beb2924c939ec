import { beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, loadSigningKey, signTreeHead } from '@mod/audit';
import {
  appendAuditBatch,
  createTreeHeadSigner,
  latestTreeHead,
  listTreeHeads,
  signTreeHeadIfDue,
  type SignedTreeHead,
} from './domains/audit.js';
import { auditEntry, cutBackTo, db, key, tamper, useAuditSchema } from './audit.test-helper.js';

// The signing key is not the database's: whoever holds the database (but not the key) cuts the log back or
// rewrites it, then waits for the signer to sign the forged history as if it extended what it signed before.

useAuditSchema();

const schedule = { everyRecords: 1, everyMs: 3_600_000 };
const sign = () => signTreeHeadIfDue(db.pool, { key, schedule, topic: null });

let first: SignedTreeHead | null;
beforeEach(async () => {
  await appendAuditBatch(
    db.pool,
    Array.from({ length: 6 }, (_, i) => auditEntry(i)),
  );
  first = await sign();
  expect(first).toMatchObject({ treeSize: 6 });
});

describe('the tree-head signer and a log changed behind it', () => {
  it('refuses to sign a log cut back and grown again past its last head', async () => {
    await cutBackTo(3);
    // Other records in the place of 3..5, and more: the tree is larger than the signed head again.
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 5 }, (_, i) => auditEntry(100 + i)),
    );
    await expect(sign()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
    expect(await latestTreeHead(db.pool, [key])).toEqual(first);
  });

  it('refuses to sign a rewritten history even when its size has not grown back', async () => {
    await cutBackTo(3);
    await expect(sign()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
    await appendAuditBatch(db.pool, [auditEntry(100)]);
    await expect(sign()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
  });

  it('refuses a fork after the signed heads were deleted too: the signer remembers what it signed', async () => {
    const logged: string[] = [];
    const logger = {
      info: () => undefined,
      warn: (_: object, msg: string) => logged.push(msg),
      error: (_: object, msg: string) => logged.push(msg),
    };
    const signer = createTreeHeadSigner({ pool: db.pool, key, schedule, topic: null, logger });
    await appendAuditBatch(db.pool, [auditEntry(6), auditEntry(7)]);
    expect(await signer.tick()).toMatchObject({ treeSize: 8 });
    await cutBackTo(5);
    await tamper('audit_tree_heads', `delete from audit_tree_heads where tree_size > 5`);
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 5 }, (_, i) => auditEntry(100 + i)),
    );
    await expect(signer.tick()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
    expect((await listTreeHeads(db.pool)).map((h) => h.treeSize)).toEqual([]);
  });

  it('still signs a log that extends its heads', async () => {
    await appendAuditBatch(db.pool, [auditEntry(6)]);
    expect(await sign()).toMatchObject({ treeSize: 7 });
  });
});

describe('heads no trusted key signed', () => {
  it('do not stop the signer: a row anyone who may insert could add is no head of the log', async () => {
    // The application role may insert into audit_tree_heads: a forged head far beyond the tree, under the log's
    // key id and under another key, would leave every later tree "smaller than a signed head" for ever.
    const other = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const forged = signTreeHead(
      { treeSize: 1_000_000, rootHash: 'ab'.repeat(32), timestamp: first?.timestamp ?? '' },
      other,
    );
    await db.pool.query(
      `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature)
       values (1000000, $1, now(), $2, $3), (999999, $1, now(), $4, $3)`,
      [Buffer.from(forged.rootHash, 'hex'), key.keyId, forged.signature, other.keyId],
    );
    await appendAuditBatch(db.pool, [auditEntry(6)]);
    expect(await sign()).toMatchObject({ treeSize: 7 });
    // A head of a key the signer trusts (an older one, kept after a rotation) still binds it.
    await db.pool.query(
      `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature) values ($1, $2, $3, $4, $5)`,
      [forged.treeSize, Buffer.from(forged.rootHash, 'hex'), forged.timestamp, other.keyId, forged.signature],
    );
    await appendAuditBatch(db.pool, [auditEntry(7)]);
    await expect(
      signTreeHeadIfDue(db.pool, { key, schedule, topic: null, trusted: [key, other] }),
    ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
  });
});

describe('a stored row in the place of the head being signed', () => {
  it('is never silently kept while another head is announced for the same size and key', async () => {
    // A row inserted beforehand under the log's key id for the next size (the application role may insert).
    await db.pool.query(
      `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature)
       values (7, $1, now(), $2, $3)`,
      [Buffer.alloc(32, 7), key.keyId, Buffer.alloc(64, 1).toString('base64')],
    );
    await appendAuditBatch(db.pool, [auditEntry(6)]);
    const topic = 'test.audit-tree-heads';
    await expect(signTreeHeadIfDue(db.pool, { key, schedule, topic })).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT',
    });
    const { rows } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from outbox where topic = $1`,
      [topic],
    );
    expect(rows[0]?.n).toBe(0);
    // The next size is signed as ever.
    await appendAuditBatch(db.pool, [auditEntry(7)]);
    expect(await signTreeHeadIfDue(db.pool, { key, schedule, topic })).toMatchObject({ treeSize: 8 });
  });
});

describe('the time a head is signed at', () => {
  it('is never before a record it holds, nor before the head it extends, whatever the signer’s clock says', async () => {
    // The API's clock a minute behind the database's (whose clock stamps the records), then a minute ahead.
    const skewed = (ms: number) => () => new Date(Date.now() + ms);
    const [record] = await appendAuditBatch(db.pool, [auditEntry(6)]);
    const slow = await signTreeHeadIfDue(db.pool, { key, schedule, topic: null, now: skewed(-60_000) });
    expect(slow).toMatchObject({ treeSize: 7 });
    expect(Date.parse(slow?.timestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(record?.time ?? ''));
    await appendAuditBatch(db.pool, [auditEntry(7)]);
    const fast = await signTreeHeadIfDue(db.pool, { key, schedule, topic: null, now: skewed(60_000) });
    await appendAuditBatch(db.pool, [auditEntry(8)]);
    const after = await signTreeHeadIfDue(db.pool, { key, schedule, topic: null, now: skewed(-60_000) });
    expect(after).toMatchObject({ treeSize: 9 });
    expect(Date.parse(after?.timestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(fast?.timestamp ?? ''));
  });
});

describe('a key rotation', () => {
  it('has the new key sign the current size once, grown or not, whichever key signed a size last', async () => {
    const fresh = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const trusted = [fresh, key];
    const signFresh = () => signTreeHeadIfDue(db.pool, { key: fresh, trusted, schedule, topic: null });
    expect(await signFresh()).toMatchObject({ treeSize: 6, keyId: fresh.keyId });
    expect(await signFresh()).toBeNull();
    // During a rolling restart an API still on the old key signs a size first, then one signs it after the new key.
    await appendAuditBatch(db.pool, [auditEntry(6)]);
    expect(await sign()).toMatchObject({ treeSize: 7, keyId: key.keyId });
    expect(await signFresh()).toMatchObject({ treeSize: 7, keyId: fresh.keyId });
    await appendAuditBatch(db.pool, [auditEntry(7)]);
    expect(await signFresh()).toMatchObject({ treeSize: 8, keyId: fresh.keyId });
    expect(await sign()).toMatchObject({ treeSize: 8, keyId: key.keyId });
    expect(await signFresh()).toBeNull();
  });
});
