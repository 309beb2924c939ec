import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, LEGACY_BUNDLE_FORMAT, type AuditBundle, type BundleEntry } from './bundle-format.js';
import { signBundleScope } from './bundle-scope.js';
import { verifyBundle, type VerifyBundleOptions } from './bundle-verify.js';
import { createBundle } from './bundle.js';
import { createMemoryAuditLog } from './log.js';
import { toHex, verifyConsistency } from './merkle.js';
import type { AuditRecordDraft, EncodedRecord } from './record.js';
import { generateSigningKeyPair, loadPublicKey, loadSigningKey, signTreeHead } from './sth.js';
import type { SignedTreeHead } from './sth.js';

const N = 23;
const draft = (i: number): AuditRecordDraft => ({
  actor: { kind: i % 3 === 0 ? 'policy' : 'user', id: `actor_${i % 4}` },
  role: i % 3 === 0 ? null : 'reviewer',
  tenantId: 'tn_1',
  action: i % 2 === 0 ? 'verdict.confirmed' : 'order.created',
  subject: { type: 'content', id: `c_${i}` },
  reason: `rule ${i}`,
  evidence: { sha256: i.toString(16).padStart(64, '0') },
  versions: { policy: '3' },
});

const pair = generateSigningKeyPair();
const key = loadSigningKey(pair.privateKeyPem);
const trusted = [loadPublicKey(pair.publicKeyPem)];
let clock = Date.parse('2025-03-01T00:00:00.000Z');
const log = createMemoryAuditLog({ now: () => new Date((clock += 1000)) });
let head: SignedTreeHead;
let pristine: AuditBundle;

beforeAll(async () => {
  await log.append(Array.from({ length: 10 }, (_, i) => draft(i)));
  for (let i = 10; i < N; i++) await log.append([draft(i)]);
  head = await log.signHead(key);
  pristine = await log.exportRange(5, 17, head, trusted, key);
});

const copy = (): AuditBundle => structuredClone(pristine);
const roundTrip = (b: AuditBundle): unknown => JSON.parse(JSON.stringify(b));
/** Entry `i` of `b` (its absence is a broken fixture, not a finding). */
const entryAt = (b: AuditBundle, i: number): BundleEntry => {
  const e = b.entries[i];
  if (e === undefined) throw new Error('fixture');
  return e;
};
/** Verifying `input` (with `options`) fails with an error matching `error`. */
const expectFailure = (input: unknown, error: Record<string, unknown>, options?: VerifyBundleOptions) =>
  expect(verifyBundle(input, options)).toMatchObject({ ok: false, error });

describe('verifyBundle', () => {
  it('accepts an untouched bundle, with and without trusted keys given', () => {
    const expected = {
      ok: true,
      records: 13,
      treeSize: N,
      rootHash: head.rootHash,
      keyId: key.keyId,
      complete: true,
    };
    expect(verifyBundle(roundTrip(pristine), { trustedKeys: trusted })).toMatchObject(expected);
    expect(verifyBundle(roundTrip(pristine))).toMatchObject(expected);
  });

  it('proves records against an older head after more appends, and the heads are consistent', async () => {
    await log.append([draft(100), draft(101), draft(102)]);
    const newer = await log.signHead(key);
    expect(newer.treeSize).toBe(N + 3);
    const bundle = await log.exportRange(0, N - 1, head, trusted, key);
    expect(verifyBundle(bundle, { trustedKeys: trusted })).toMatchObject({
      ok: true,
      records: N,
      treeSize: N,
    });
    const proof = await log.tree.consistencyProof(head.treeSize, newer.treeSize);
    const root = (h: SignedTreeHead): Buffer => Buffer.from(h.rootHash, 'hex');
    expect(verifyConsistency(head.treeSize, newer.treeSize, root(head), root(newer), proof)).toBe(true);
  });

  /** Tamperings with one bundle, each found by a check of its own, naming the first bad record. */
  it.each<{ name: string; tamper: (b: AuditBundle) => void; error: Record<string, unknown> }>([
    {
      name: 'change one byte of a record: changed, naming it',
      tamper: (b) => {
        const e = entryAt(b, 4);
        e.record = e.record.replace('rule 9', 'rule 8');
      },
      error: {
        code: 'MOD_ERR_AUDIT_RECORD_CHANGED',
        reason: 'changed',
        firstBadRecord: { index: 4, seq: 9 },
      },
    },
    {
      name: 'change a byte so the record is no longer valid: changed',
      tamper: (b) => {
        const e = entryAt(b, 2);
        e.record = e.record.replace('"seq":7', '"seq":7 ');
      },
      error: { reason: 'changed', firstBadRecord: { index: 2 } },
    },
    {
      name: 'change a record and its stored leaf hash together: bad proof',
      tamper: (b) => {
        const e = entryAt(b, 6);
        e.record = e.record.replace('rule 11', 'rule 99');
        e.leafHash = createHash('sha256')
          .update(Buffer.from([0]))
          .update(e.record)
          .digest('hex');
      },
      error: { reason: 'bad_proof', firstBadRecord: { index: 6, seq: 11 } },
    },
    {
      name: 'delete a record: deleted, naming the missing seq',
      tamper: (b) => b.entries.splice(3, 1),
      error: {
        code: 'MOD_ERR_AUDIT_RECORD_DELETED',
        reason: 'deleted',
        firstBadRecord: { index: 3, seq: 8 },
      },
    },
    {
      name: 'delete the last record: deleted',
      tamper: (b) => b.entries.pop(),
      error: { reason: 'deleted', firstBadRecord: { index: 12, seq: 17 } },
    },
    {
      name: 'swap two records: reordered, naming the first',
      tamper: (b) => {
        [b.entries[5], b.entries[8]] = [entryAt(b, 8), entryAt(b, 5)];
      },
      error: {
        code: 'MOD_ERR_AUDIT_RECORD_REORDERED',
        reason: 'reordered',
        firstBadRecord: { index: 5, seq: 13 },
      },
    },
    {
      name: 'swap two records with their leaf indices kept in place: reordered',
      tamper: (b) => {
        const [x, y] = [entryAt(b, 1), entryAt(b, 2)];
        [x.record, y.record] = [y.record, x.record];
        [x.leafHash, y.leafHash] = [y.leafHash, x.leafHash];
      },
      error: { reason: 'reordered', firstBadRecord: { index: 1, seq: 7 } },
    },
    {
      name: 'alter a proof: bad proof',
      tamper: (b) => {
        const e = entryAt(b, 10);
        e.inclusionProof = e.inclusionProof.slice(1);
      },
      error: { code: 'MOD_ERR_AUDIT_BAD_PROOF', firstBadRecord: { index: 10, seq: 15 } },
    },
  ])('$name', ({ tamper, error }) => {
    const b = copy();
    tamper(b);
    expectFailure(b, error);
  });

  it('database owner swaps the contents of two stored rows: the first is named', async () => {
    // The exporter reads leaf hashes from the tree, so rows changed after append show up as changed.
    const rows: EncodedRecord[] = log.records(5, 17);
    const [a, c] = [rows[2], rows[3]];
    if (a === undefined || c === undefined) throw new Error('fixture');
    rows[2] = {
      ...c,
      record: { ...c.record, seq: a.record.seq },
      canonical: c.canonical.replace(`"seq":${c.record.seq}`, `"seq":${a.record.seq}`),
    };
    const b = await createBundle({
      scope: { kind: 'range', fromSeq: 5, toSeq: 17 },
      records: rows,
      tree: log.tree,
      treeHead: head,
      publicKeys: trusted,
      signingKey: key,
    });
    expectFailure(b, { reason: 'changed', firstBadRecord: { index: 2, seq: 7 } });
  });

  it('alter the tree head: bad signature', () => {
    for (const mutate of [
      (b: AuditBundle) => (b.treeHead.treeSize -= 1),
      (b: AuditBundle) => (b.treeHead.rootHash = toHex(Buffer.alloc(32))),
      (b: AuditBundle) => (b.treeHead.timestamp = '2020-01-01T00:00:00.000Z'),
    ]) {
      const b = copy();
      mutate(b);
      expectFailure(b, {
        code: 'MOD_ERR_AUDIT_BAD_SIGNATURE',
        reason: 'bad_signature',
        firstBadRecord: null,
      });
    }
  });

  it('a head re-signed with another key: unknown key when trust is given', () => {
    const b = copy();
    const forger = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    b.treeHead = signTreeHead({ ...b.treeHead, rootHash: toHex(Buffer.alloc(32)) }, forger);
    b.scopeSignature = signBundleScope(b.scope, b.treeHead, forger);
    b.publicKeys = [
      {
        keyId: forger.keyId,
        spki: forger.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      },
    ];
    expectFailure(b, { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY', firstBadRecord: null }, { trustedKeys: trusted });
    // Trusting the bundle's own keys, the forged head signs fine but no record proves against its root.
    expectFailure(b, { reason: 'bad_proof', firstBadRecord: { index: 0, seq: 5 } });
  });

  it('records scope: a case bundle with gaps between seqs, and a deletion from it', async () => {
    const wanted = log.records(0, N - 1).filter((r) => r.record.subject.id.endsWith('1'));
    const scope = { kind: 'records' as const, seqs: wanted.map((r) => r.record.seq), label: 'case_42' };
    const b = await createBundle({
      scope,
      records: wanted,
      tree: log.tree,
      treeHead: head,
      publicKeys: trusted,
      signingKey: key,
    });
    expect(verifyBundle(b, { trustedKeys: trusted })).toMatchObject({ ok: true, records: wanted.length });
    b.entries.splice(1, 1);
    expectFailure(b, { reason: 'deleted', firstBadRecord: { index: 1, seq: 11 } }, { trustedKeys: trusted });
  });

  describe('the signed scope', () => {
    const caseBundle = async () => {
      const wanted = log.records(0, N - 1).filter((r) => r.record.subject.id.endsWith('1'));
      return createBundle({
        scope: {
          kind: 'records',
          seqs: wanted.map((r) => r.record.seq),
          label: 'order_7',
          refs: ['order_7'],
          audience: 'authority:auth-a',
        },
        records: wanted,
        tree: log.tree,
        treeHead: head,
        publicKeys: trusted,
        signingKey: key,
      });
    };

    it('a record removed and the scope edited to match: bad scope signature', async () => {
      const b = await caseBundle();
      expect(verifyBundle(b, { trustedKeys: trusted })).toMatchObject({ ok: true, complete: true });
      const removed = b.entries.splice(1, 1)[0];
      if (b.scope.kind !== 'records' || removed === undefined) throw new Error('fixture');
      b.scope.seqs = b.scope.seqs.filter((s) => s !== removed.leafIndex);
      expectFailure(
        roundTrip(b),
        {
          code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE',
          reason: 'bad_scope_signature',
          firstBadRecord: null,
        },
        { trustedKeys: trusted },
      );
    });

    it('a range shortened with its last record dropped: bad scope signature', () => {
      const b = copy();
      b.entries.pop();
      if (b.scope.kind !== 'range') throw new Error('fixture');
      b.scope.toSeq -= 1;
      expectFailure(b, { reason: 'bad_scope_signature' });
    });

    it.each<[string, (b: AuditBundle) => void]>([
      ['label', (b) => Object.assign(b.scope, { label: 'order_8' })],
      ['refs', (b) => Object.assign(b.scope, { refs: ['order_8'] })],
      ['audience', (b) => Object.assign(b.scope, { audience: 'all' })],
      [
        'signing time',
        (b) => Object.assign(b.scopeSignature ?? {}, { signedAt: '2020-01-01T00:00:00.000Z' }),
      ],
    ])('what the scope claims (%s) cannot be edited', async (_, edit) => {
      const b = await caseBundle();
      edit(b);
      expectFailure(b, { reason: 'bad_scope_signature' }, { trustedKeys: trusted });
    });

    it('a scope moved onto another signed head (same records, re-proven) does not verify', async () => {
      await log.append([draft(200)]);
      const later = await log.signHead(key);
      const b = copy();
      const moved = await log.exportRange(5, 17, later, trusted, key);
      b.treeHead = moved.treeHead;
      b.entries = moved.entries;
      expectFailure(b, { reason: 'bad_scope_signature' });
    });

    it('a scope signed by an untrusted key: unknown key', () => {
      const b = copy();
      const other = loadSigningKey(generateSigningKeyPair().privateKeyPem);
      b.scopeSignature = signBundleScope(b.scope, b.treeHead, other);
      expectFailure(b, { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY', firstBadRecord: null }, { trustedKeys: trusted });
    });

    it('a legacy bundle (unsigned scope) never verifies as complete', async () => {
      const legacy = await log.exportRange(5, 17, head, trusted);
      expect(legacy.format).toBe(LEGACY_BUNDLE_FORMAT);
      expect(legacy.scopeSignature).toBeUndefined();
      expectFailure(
        legacy,
        { code: 'MOD_ERR_AUDIT_SCOPE_UNSIGNED', reason: 'scope_unsigned' },
        { trustedKeys: trusted },
      );
      expect(verifyBundle(legacy, { trustedKeys: trusted, allowUnsignedScope: true })).toMatchObject({
        ok: true,
        records: 13,
        complete: false,
      });
      // Stripping the signature off a signed bundle makes it a legacy one: no more than that.
      const stripped = copy() as Partial<AuditBundle>;
      delete stripped.scopeSignature;
      stripped.format = LEGACY_BUNDLE_FORMAT;
      stripped.entries?.pop();
      if (stripped.scope?.kind === 'range') stripped.scope.toSeq -= 1;
      expectFailure(stripped, { reason: 'scope_unsigned' });
      expect(verifyBundle(stripped, { allowUnsignedScope: true })).toMatchObject({
        ok: true,
        complete: false,
      });
      // A v2 bundle without its signature is malformed.
      const unsigned = copy() as Partial<AuditBundle>;
      delete unsigned.scopeSignature;
      expectFailure(unsigned, { reason: 'malformed' });
    });
  });

  it.each<[string, unknown]>([
    ['not an object', 'hello'],
    ['wrong format', { ...structuredClone({ a: 1 }), format: 'other' }],
    [
      'no tree head',
      { format: BUNDLE_FORMAT, scope: { kind: 'range', fromSeq: 0, toSeq: 0 }, publicKeys: [], entries: [] },
    ],
  ])('malformed input (%s) is a typed failure, not a crash', (_, input) => {
    expectFailure(input, { code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED', firstBadRecord: null });
  });

  it('an entry of the wrong shape is malformed and named', () => {
    const b = copy() as unknown as { entries: unknown[] };
    b.entries[0] = { leafIndex: 'five' };
    expectFailure(b, { reason: 'malformed', firstBadRecord: { index: 0 } });
  });
});
