import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateSigningKeyPair,
  loadSigningKey,
  signTreeHead,
  verifyBundle,
  verifyTreeHead,
  type SigningKey,
} from '@mod/audit';
import {
  appendAuditBatch,
  auditLogId,
  exportAuditBundle,
  latestTreeHead,
  signTreeHeadIfDue,
  treeHeadAt,
  verifyStoredLog,
  type RefusedHead,
  type SignedTreeHead,
} from './domains/audit.js';
import { auditEntry, db, key, useAuditSchema } from './audit.test-helper.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

// Heads name their log, junk head rows cannot hide the real head, and exports carry the log's key history: real
// PostgreSQL, two logs (schemas) signed with one key where a head of one is presented as the other's.

useAuditSchema();

let other: TestDatabase;
beforeEach(async () => {
  other = await createTestSchema();
});
afterEach(async () => {
  await other.drop();
});

const schedule = { everyRecords: 1, everyMs: 3_600_000 };
const signWith = (pool: TestDatabase['pool'], k: SigningKey, trusted: SigningKey[] = [k]) =>
  signTreeHeadIfDue(pool, { key: k, schedule, topic: null, trusted, force: true });
const append = (pool: TestDatabase['pool'], from: number, n: number) =>
  appendAuditBatch(
    pool,
    Array.from({ length: n }, (_, i) => auditEntry(from + i)),
  );

/** As whoever may insert into audit_tree_heads (the application role): a row as given. */
async function insertHead(h: SignedTreeHead): Promise<void> {
  await db.pool.query(
    `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature, log_id)
     values ($1, $2, $3, $4, $5, $6)`,
    [h.treeSize, Buffer.from(h.rootHash, 'hex'), h.timestamp, h.keyId, h.signature, h.logId ?? null],
  );
}

describe('log ids', () => {
  it('every log has its own id, signed into its heads; a head of another log under the same key is refused', async () => {
    const [ours, theirs] = [await auditLogId(db.pool), await auditLogId(other.pool)];
    expect(ours).toMatch(/^[0-9a-f]{32}$/);
    expect(theirs).not.toBe(ours);
    await append(db.pool, 0, 3);
    const head = await signWith(db.pool, key);
    expect(head).toMatchObject({ treeSize: 3, logId: ours });
    // The log id is inside the signed bytes: changed, the signature no longer verifies.
    expect(verifyTreeHead({ ...(head as SignedTreeHead), logId: theirs }, [key])).toMatchObject({
      ok: false,
    });

    // A test log (or another deployment) signed with the same key, larger: its head copied into this log's table.
    await append(other.pool, 0, 5);
    const foreign = (await signWith(other.pool, key)) as SignedTreeHead;
    await insertHead(foreign);
    const refused: RefusedHead[] = [];
    expect(await latestTreeHead(db.pool, [key], (r) => refused.push(r))).toEqual(head);
    expect(await treeHeadAt(db.pool, [key], 5)).toBeNull();
    expect(refused).toEqual([{ treeSize: 5, keyId: key.keyId, logId: theirs, reason: 'wrong_log' }]);
    // The stored log's check names it, and the head it kept from the other log.
    expect(await verifyStoredLog(db.pool, { trustedKeys: [key] })).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_WRONG_LOG', reason: 'wrong_log' },
      refusedHeads: [{ treeSize: 5, keyId: key.keyId, logId: theirs, kept: false, reason: 'wrong_log' }],
    });
  });

  it('a legacy head (no log id) stays a head, verified and reported as legacy', async () => {
    await append(db.pool, 0, 2);
    const current = (await signWith(db.pool, key)) as SignedTreeHead;
    // Signed before heads named their log, by the key of the time.
    const old = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const { logId: _, ...unnamed } = current;
    const legacy = signTreeHead({ ...unnamed, timestamp: '2026-01-01T00:00:00.000Z' }, old);
    expect(legacy.logId).toBeUndefined();
    await insertHead(legacy);
    expect(await latestTreeHead(db.pool, [old])).toEqual(legacy);
    // Of one size, the head naming the log comes first.
    expect(await treeHeadAt(db.pool, [old, key], 2)).toEqual(current);
    expect(await verifyStoredLog(db.pool, { trustedKeys: [key, old] })).toMatchObject({
      ok: true,
      logId: await auditLogId(db.pool),
      legacyHeads: 1,
    });
  });
});

describe('junk head rows', () => {
  it('many rows of the latest size, of keys no one trusts, do not hide the real head', async () => {
    await append(db.pool, 0, 4);
    const early = await signWith(db.pool, key);
    await append(db.pool, 4, 2);
    const real = (await signWith(db.pool, key)) as SignedTreeHead;
    // Written after the real head, so that they come first at its size: before, a page of them pushed the real
    // head off the reads and the latest head was the smaller one.
    for (let i = 0; i < 120; i++) {
      const junk = loadSigningKey(generateSigningKeyPair().privateKeyPem);
      await insertHead(
        signTreeHead({ ...real, timestamp: new Date(Date.now() + 60_000).toISOString() }, junk),
      );
    }
    expect(early).toMatchObject({ treeSize: 4 });
    expect(await latestTreeHead(db.pool, [key])).toEqual(real);
  });

  it('of two roots trusted keys signed at one size, the stored tree’s is taken and the other reported', async () => {
    await append(db.pool, 0, 3);
    const real = (await signWith(db.pool, key)) as SignedTreeHead;
    // A second trusted key (kept after a rotation) signed another root of this size: a fork, whoever made it.
    const old = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const fork = signTreeHead(
      { ...real, rootHash: 'ab'.repeat(32), timestamp: new Date(Date.now() + 60_000).toISOString() },
      old,
    );
    await insertHead(fork);
    const refused: RefusedHead[] = [];
    const report = (r: RefusedHead) => refused.push(r);
    expect(await latestTreeHead(db.pool, [old, key], report)).toEqual(real);
    expect(await treeHeadAt(db.pool, [old, key], 3)).toEqual(real);
    expect(refused).toEqual([
      { treeSize: 3, keyId: old.keyId, logId: await auditLogId(db.pool), reason: 'fork' },
    ]);
  });
});

describe('an export at an old size after a key rotation', () => {
  it('carries the key history under its scope signature: the current key alone verifies it', async () => {
    await append(db.pool, 0, 2);
    const old = key;
    const oldHead = (await signWith(db.pool, old)) as SignedTreeHead;
    await append(db.pool, 2, 2);
    await signWith(db.pool, old);
    // Rotation: the API restarts with a new key, the old one still trusted.
    const fresh = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const trusted = [fresh, old];
    await append(db.pool, 4, 1);
    expect(await signWith(db.pool, fresh, trusted)).toMatchObject({ treeSize: 5, keyId: fresh.keyId });

    const bundle = await exportAuditBundle(
      db.pool,
      { kind: 'range', fromSeq: 0, toSeq: 1 },
      { signingKey: fresh, trusted, treeSize: 2 },
    );
    const logId = await auditLogId(db.pool);
    expect(bundle).toMatchObject({
      format: 'mod.audit.bundle.v3',
      logId,
      treeHead: oldHead,
      keyHistory: [
        { keyId: old.keyId, fromSize: 2, toSize: 4 },
        { keyId: fresh.keyId, fromSize: 5, toSize: null },
      ],
    });
    // The new key alone, or no key at all (its id compared out of band): no --key for the old one.
    for (const options of [{ trustedKeys: [fresh] }, {}, { trustedKeys: [fresh], logId }])
      expect(verifyBundle(bundle, options)).toMatchObject({
        ok: true,
        keyId: old.keyId,
        scopeKeyId: fresh.keyId,
        logId,
        legacyHead: false,
      });
    expect(verifyBundle(bundle, { logId: 'f'.repeat(32) })).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' },
    });
    // The history is the signer's word: edited (the old key's range stretched), the scope no longer verifies.
    const stretched = structuredClone(bundle);
    stretched.keyHistory[0] = { keyId: old.keyId, fromSize: 0, toSize: null };
    expect(verifyBundle(stretched)).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE' },
    });
    // A key the API no longer trusts: no head of that size is the log's, a typed refusal.
    await expect(
      exportAuditBundle(db.pool, { kind: 'range', fromSeq: 0, toSeq: 1 }, { signingKey: fresh, treeSize: 2 }),
    ).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_NO_TREE_HEAD' });
  });
});
