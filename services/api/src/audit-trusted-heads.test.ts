import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigningKeyPair,
  historyHandovers,
  keyForHead,
  loadSigningKey,
  signTreeHead,
  verifyBundle,
} from '@mod/audit';
import { appendAuditAlone, signTreeHeadIfDue, type SignedTreeHead, type SigningKey } from '@mod/db/audit';
import { createRegistry } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';
import { bearer } from './testing.test-helper.js';

// The application role may insert rows into audit_tree_heads (the API stores the heads it signs): a row no trusted
// key signed is no head of the log, and the audit routes never hand it out nor prove against it. And right after a
// key rotation, an export still verifies with no keys of the verifier's own. Real PostgreSQL, real HTTP on
// 127.0.0.1.

const registry = createRegistry('api');
const api = useCallersWorld({ admin: ['ops', 'admin'] }, { build: { registry } });
/** `mod_api_audit_head_rows_refused_total` of `reason`, as the API's registry holds it now. */
const refusedRows = async (reason: string): Promise<number> => {
  const metric = await registry.getSingleMetric('mod_api_audit_head_rows_refused_total')?.get();
  return metric?.values.find((v) => v.labels['reason'] === reason)?.value ?? -1;
};
let base: string;
beforeAll(async () => {
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});

const get = async (url: string, at = base) => {
  const res = await fetch(`${at}${url}`, { headers: bearer(api.keys.admin) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const append = (i: number) =>
  appendAuditAlone(api.db, {
    actor: { kind: 'service', id: 'trusted-heads' },
    action: 'test.appended',
    subject: { type: 'test', id: `r-${i}` },
  });
/** As the signer loop does (`force`: as at shutdown; else on a schedule that says not yet). */
const sign = async (key: SigningKey, trusted = [key], force = true): Promise<SignedTreeHead> => {
  // The signer's lock is database-wide: another test's signer may hold it for a moment.
  for (let attempt = 0; attempt < 100; attempt++) {
    const head = await signTreeHeadIfDue(api.db, {
      key,
      trusted,
      schedule: { everyRecords: 1_000, everyMs: 3_600_000 },
      topic: null,
      force,
    });
    if (head !== null) return head;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no tree head signed');
};
/** A head row as anyone with the application role's access could insert it: any size, any signature. */
const insertRow = (head: SignedTreeHead, signedAt = new Date()) =>
  api.db.query(
    `insert into audit_tree_heads (tree_size, root_hash, signed_at, key_id, signature) values ($1, $2, $3, $4, $5)`,
    [head.treeSize, Buffer.from(head.rootHash, 'hex'), signedAt, head.keyId, head.signature],
  );

describe('stored head rows no trusted key signed', () => {
  it('are never served, proven against or exported: the genuine head is', async () => {
    for (let i = 0; i < 4; i++) await append(i);
    const genuine = await sign(api.world.auditKey);
    const junk = Buffer.alloc(64, 7).toString('base64');
    const { keyId } = api.world.auditKey;
    // Far beyond the tree under the log's key id, and in the place of the genuine head's size under another key
    // id, signed later: both newer than the genuine head by every ordering the reads used.
    await insertRow({
      treeSize: 1_000_000,
      rootHash: 'ab'.repeat(32),
      timestamp: '',
      keyId,
      signature: junk,
    });
    const stranger = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const other = signTreeHead({ ...genuine, rootHash: 'cd'.repeat(32) }, stranger);
    await insertRow(other, new Date(Date.parse(genuine.timestamp) + 60_000));

    expect(await refusedRows('bad_signature')).toBe(0);
    const latest = await get('/v1/audit/tree-heads/latest');
    // The junk row of the log's key id is refused by the read, and counted (the API's log names it).
    expect(await refusedRows('bad_signature')).toBeGreaterThan(0);
    expect(await refusedRows('fork')).toBe(0);
    expect(latest.status).toBe(200);
    expect(latest.body['treeHead']).toEqual(genuine);
    expect((await get(`/v1/audit/tree-heads/${genuine.treeSize}`)).body['treeHead']).toEqual(genuine);
    expect((await get('/v1/audit/tree-heads/1000000')).status).toBe(404);

    const proof = await get(`/v1/audit/records/1/inclusion-proof`);
    expect(proof.status, JSON.stringify(proof.body)).toBe(200);
    expect(proof.body['treeHead']).toEqual(genuine);
    const consistency = await get(`/v1/audit/consistency-proof?fromSize=2`);
    expect(consistency.status, JSON.stringify(consistency.body)).toBe(200);
    expect(consistency.body).toMatchObject({ size2: genuine.treeSize, treeHead2: genuine });
    const bundle = await get(`/v1/audit/export?fromSeq=0&toSeq=${genuine.treeSize - 1}`);
    expect(bundle.status, JSON.stringify(bundle.body)).toBe(200);
    expect(bundle.body['treeHead']).toEqual(genuine);
    expect(verifyBundle(bundle.body)).toMatchObject({ ok: true, treeSize: genuine.treeSize });
  });
});

describe('an export right after a key rotation', () => {
  it('verifies with no keys of the verifier’s own: the new key signs the head it proves against', async () => {
    const old = api.world.auditKey;
    await append(100);
    const early = await sign(old);
    await append(101);
    const before = await sign(old);
    // The API restarted with a new signing key, the old one still trusted; no record appended since.
    const fresh = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const trusted = [fresh, old];
    const rotated = await api.world.build({ auditSigningKey: fresh, auditTrustedKeys: trusted });
    const at = await rotated.listen({ host: '127.0.0.1', port: 0 });
    // Its signer's first tick (at start-up): the current size, under the new key, though the tree has not grown.
    const head = await sign(fresh, trusted, false);
    expect(head).toMatchObject({ treeSize: before.treeSize, keyId: fresh.keyId });

    const bundle = await get(`/v1/audit/export?fromSeq=0&toSeq=${before.treeSize - 1}`, at);
    expect(bundle.status, JSON.stringify(bundle.body)).toBe(200);
    expect(bundle.body['treeHead']).toEqual(head);
    expect(verifyBundle(bundle.body)).toMatchObject({ ok: true, keyId: fresh.keyId });
    expect(verifyBundle(bundle.body, { trustedKeys: trusted })).toMatchObject({ ok: true });
    // The signer does not sign that size again, and heads of either key stay the log's.
    const again = { key: fresh, trusted, schedule: { everyRecords: 1, everyMs: 0 }, topic: null };
    await expect(signTreeHeadIfDue(api.db, again)).resolves.toBeNull();
    expect((await get('/v1/audit/tree-heads/latest', at)).body['treeHead']).toEqual(head);

    // An older size, which only the old key signed: the bundle carries the log's id and key history under its
    // scope signature, so the new key alone verifies it (before: the old key had to be given by hand).
    const oldSize = await get(`/v1/audit/export?fromSeq=0&toSeq=0&treeSize=${early.treeSize}`, at);
    expect(oldSize.status, JSON.stringify(oldSize.body)).toBe(200);
    expect(oldSize.body).toMatchObject({ format: 'mod.audit.bundle.v3', treeHead: early });
    const logId = oldSize.body['logId'] as string;
    expect(early.logId).toBe(logId);
    expect(oldSize.body['keyHistory']).toEqual([
      { keyId: old.keyId, fromSize: expect.any(Number) as unknown, toSize: before.treeSize },
      { keyId: fresh.keyId, fromSize: before.treeSize, toSize: null },
    ]);
    expect(verifyBundle(oldSize.body, { trustedKeys: [fresh], logId })).toMatchObject({
      ok: true,
      keyId: old.keyId,
      scopeKeyId: fresh.keyId,
      logId,
      legacyHead: false,
    });

    // A consistency proof from that old size carries the same key history, signed by the new key with the later
    // head: the new key alone takes the old key's head (before: the proof carried none).
    const consistency = await get(`/v1/audit/consistency-proof?fromSize=${early.treeSize}`, at);
    expect(consistency.status, JSON.stringify(consistency.body)).toBe(200);
    expect(consistency.body).toMatchObject({ treeHead1: early, treeHead2: head });
    const history = consistency.body['history'] as Record<string, unknown>;
    expect(history).toMatchObject({ format: 'mod.audit.bundle.v3', logId, treeHead: head, entries: [] });
    expect(history['keyHistory']).toEqual(oldSize.body['keyHistory']);
    const handed = historyHandovers(history, [fresh]);
    expect(handed).toMatchObject({
      ok: true,
      logId,
      handed: [{ toSize: before.treeSize, handedTo: fresh.keyId }],
    });
    expect(keyForHead(early, [fresh], handed.ok ? handed.handed : [])?.keyId).toBe(old.keyId);
    // Served by an API without a signing key, the proof carries no history (nothing to sign it with).
    const unsigned = await api.world.build({ auditSigningKey: null, auditTrustedKeys: trusted });
    const plain = await unsigned.inject({
      url: `/v1/audit/consistency-proof?fromSize=${early.treeSize}`,
      headers: bearer(api.keys.admin),
    });
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.json<Record<string, unknown>>()).not.toHaveProperty('history');
  });
});
