import { beforeAll, describe, expect, it } from 'vitest';
import {
  createBundle,
  createMemoryAuditLog,
  generateSigningKeyPair,
  signTreeHead,
  loadPublicKey,
  loadSigningKey,
  type AuditBundle as ServerBundle,
  type AuditRecordDraft,
} from '@mod/audit';
import type { AuditBundle } from '../api/types.js';
import { rootFromInclusionProof, verifyBundle } from './verify.js';

// Bundles made by the log's own code (@mod/audit), checked by the browser's code over WebCrypto (Node's here).
const pair = generateSigningKeyPair();
const key = loadSigningKey(pair.privateKeyPem);
const draft = (i: number): AuditRecordDraft => ({
  actor: { kind: 'person', id: `person_${i % 3}` },
  role: 'authority',
  tenantId: 'authority-1',
  action: i % 2 === 0 ? 'order.issued' : 'order.extended',
  subject: { type: 'order', id: `o_${i}` },
  reason: `lý do ${i} "quoted"`,
  evidence: { sha256: i.toString(16).padStart(64, '0') },
  versions: { policy: '3' },
});
let pristine: AuditBundle;
const copy = () => structuredClone(pristine);

beforeAll(async () => {
  let clock = Date.parse('2026-12-01T00:00:00.000Z');
  const log = createMemoryAuditLog({ now: () => new Date((clock += 1000)) });
  for (let i = 0; i < 21; i++) await log.append([draft(i)]);
  const head = await log.signHead(key);
  const bundle: ServerBundle = await log.exportRange(4, 16, head, [loadPublicKey(pair.publicKeyPem)], key);
  // As the API answers it: JSON.
  pristine = JSON.parse(JSON.stringify(bundle)) as AuditBundle;
});

const failed = (c: Awaited<ReturnType<typeof verifyBundle>>) =>
  Object.entries(c)
    .filter(([k, v]) => k.endsWith('Ok') && v === false)
    .map(([k]) => k)
    .concat(
      c.entries.flatMap((e) =>
        Object.entries(e)
          .filter(([k, v]) => k.endsWith('Ok') && v === false)
          .map(([k]) => `${e.leafIndex}:${k}`),
      ),
    );

describe('verification in the browser', () => {
  it('accepts a bundle the log made: signatures, key id, leaves, proofs, scope, completeness', async () => {
    const c = await verifyBundle(copy());
    expect(failed(c)).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.keyId).toBe(key.keyId);
    expect(c.entries.map((e) => e.leafIndex)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('names what a changed record breaks', async () => {
    const b = copy();
    b.entries[2]!.record = b.entries[2]!.record.replace('order.issued', 'order.withdrawn');
    const c = await verifyBundle(b);
    expect(c.ok).toBe(false);
    expect(failed(c)).toEqual(['6:leafHashOk', '6:proofOk']);
  });

  it('refuses a record whose stored hash was changed to match it (the proof no longer reaches the root)', async () => {
    const b = copy();
    const altered = b.entries[0]!.record.replace('lý do 4', 'lý do X');
    b.entries[0]!.record = altered;
    const bytes = new TextEncoder().encode(altered);
    const leaf = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([0, ...bytes])));
    b.entries[0]!.leafHash = Buffer.from(leaf).toString('hex');
    expect(failed(await verifyBundle(b))).toEqual(['4:proofOk']);
  });

  it('finds a removed record, a forged tree head, another key and a moved record', async () => {
    const removed = copy();
    removed.entries.splice(3, 1);
    expect(failed(await verifyBundle(removed))).toEqual(['completeOk']);

    const forged = copy();
    forged.treeHead.treeSize += 1;
    const f = failed(await verifyBundle(forged));
    expect(f).toContain('treeHeadOk');
    expect(f).toContain('scopeOk');

    const other = copy();
    const stranger = generateSigningKeyPair();
    other.publicKeys[0]!.spki = loadPublicKey(stranger.publicKeyPem)
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    expect(failed(await verifyBundle(other))).toEqual(['keyIdOk', 'treeHeadOk', 'scopeOk']);

    const moved = copy();
    moved.entries[1]!.leafIndex = 99;
    expect(failed(await verifyBundle(moved))).toEqual(['completeOk', '99:positionOk', '99:proofOk']);
  });

  it('finds a range scope promising more records than the bundle holds without listing the range', async () => {
    // A forged scope of 2^53 records: listed whole, it hung the tab (or ran it out of memory) before any verdict.
    const b = copy();
    b.scope = { ...b.scope, kind: 'range', fromSeq: 4, toSeq: Number.MAX_SAFE_INTEGER };
    const c = await verifyBundle(b);
    expect(failed(c)).toEqual(['scopeOk', 'completeOk']);
    expect(c.ok).toBe(false);
  });

  it('answers failed checks, never an exception, for a bundle not in the export format', async () => {
    const broken: (Record<string, unknown> | null)[] = [
      null,
      { ...copy(), entries: null },
      { ...copy(), publicKeys: 'none' },
      { ...copy(), scope: { kind: 'records', seqs: 5 } },
      { ...copy(), entries: [{ leafIndex: 4, record: 7, leafHash: null, inclusionProof: 'none' }] },
      { ...copy(), treeHead: null },
    ];
    for (const b of broken) {
      const c = await verifyBundle(b as unknown as AuditBundle);
      expect(c.ok).toBe(false);
      expect(c.entries).toEqual([]);
    }
  });

  it('follows RFC 9162 for an index at the edge of the tree and refuses a proof of the wrong length', async () => {
    const leaf = new Uint8Array(32).fill(7);
    expect(await rootFromInclusionProof(0, 1, leaf, [])).toEqual(leaf);
    expect(await rootFromInclusionProof(1, 1, leaf, [])).toBeNull();
    expect(await rootFromInclusionProof(0, 2, leaf, [])).toBeNull();
  });

  it('takes a v3 bundle: a head of a rotated-out key the signed history lists, of the bundle’s log', async () => {
    const log = createMemoryAuditLog();
    for (let i = 0; i < 5; i++) await log.append([draft(i)]);
    const old = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const logId = 'c'.repeat(32);
    const bundleAt = async (headLogId: string, toSize: number) =>
      JSON.parse(
        JSON.stringify(
          await createBundle({
            scope: { kind: 'range', fromSeq: 1, toSeq: 3 },
            records: log.records(1, 3),
            tree: log.tree,
            treeHead: signTreeHead({ ...(await log.signHead(old)), logId: headLogId }, old),
            publicKeys: [old, key],
            signingKey: key,
            binding: { logId, keyHistory: [{ keyId: old.keyId, fromSize: 1, toSize }] },
          }),
        ),
      ) as AuditBundle;
    const c = await verifyBundle(await bundleAt(logId, 5));
    expect(failed(c)).toEqual([]);
    expect(c).toMatchObject({ ok: true, keyId: key.keyId, logId });
    // The head of another log under the same key, or past the sizes the history gives the old key: refused.
    expect(failed(await verifyBundle(await bundleAt('d'.repeat(32), 5)))).toEqual(['treeHeadOk']);
    expect(failed(await verifyBundle(await bundleAt(logId, 4)))).toEqual(['treeHeadOk']);
  });
});
