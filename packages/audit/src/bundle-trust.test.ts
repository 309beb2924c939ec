import { describe, expect, it } from 'vitest';
import { createBundle } from './bundle.js';
import type { AuditBundle, KeyValidity } from './bundle-format.js';
import { verifyBundle } from './bundle-verify.js';
import { historyHandovers, keyForHead } from './key-handover.js';
import { createMemoryAuditLog } from './log.js';
import { generateSigningKeyPair, loadSigningKey, signTreeHead, treeHeadSigningBytes } from './sth.js';
import type { SignedTreeHead, SigningKey } from './sth.js';

// Bundles that name their log (mod.audit.bundle.v3) and carry its key history under the scope signature.

const newKey = () => loadSigningKey(generateSigningKeyPair().privateKeyPem);
const LOG = 'a'.repeat(32);
const OTHER_LOG = 'b'.repeat(32);

const orderCreated = (id: string) => ({
  actor: { kind: 'service' as const, id: 'actioner' },
  action: 'order.created',
  subject: { type: 'order', id },
});

/** A log of 4 records; a bundle of records 0..1 at size `size`, its head signed by `headKey`, scope by `scopeKey`. */
async function bundleOf(a: {
  headKey: SigningKey;
  scopeKey: SigningKey;
  keyHistory: KeyValidity[];
  headLogId?: string;
}): Promise<AuditBundle> {
  const log = createMemoryAuditLog();
  for (const id of ['o1', 'o2', 'o3', 'o4']) await log.append([orderCreated(id)]);
  const root = await log.signHead(a.headKey);
  const { logId: _, ...unnamed } = root;
  const treeHead = signTreeHead(
    { ...unnamed, ...(a.headLogId === undefined ? {} : { logId: a.headLogId }) },
    a.headKey,
  );
  return createBundle({
    scope: { kind: 'range', fromSeq: 0, toSeq: 1 },
    records: log.records(0, 1),
    tree: log.tree,
    treeHead,
    publicKeys: [a.headKey, a.scopeKey],
    signingKey: a.scopeKey,
    binding: { logId: LOG, keyHistory: a.keyHistory },
  });
}

describe('tree heads naming their log', () => {
  it('signs the log id (format v2); a legacy head keeps the v1 bytes', () => {
    const key = newKey();
    const head = { treeSize: 1, rootHash: '0'.repeat(64), timestamp: '2026-12-07T00:00:00.000Z' };
    const named = signTreeHead({ ...head, logId: LOG }, key);
    expect(treeHeadSigningBytes(named).toString()).toContain('"format":"mod.audit.tree-head.v2","keyId"');
    expect(treeHeadSigningBytes(named).toString()).toContain(`"logId":"${LOG}"`);
    const legacy: SignedTreeHead = signTreeHead(head, key);
    expect(treeHeadSigningBytes(legacy).toString()).toContain('"format":"mod.audit.tree-head.v1"');
    expect(() => signTreeHead({ ...head, logId: 'not hex' }, key)).toThrow(/log id/);
  });
});

describe('verifyBundle and the key history', () => {
  it('takes a rotated-out key’s head inside the sizes the history gives it, with the current key alone', async () => {
    const [old, current] = [newKey(), newKey()];
    const history = [
      { keyId: old.keyId, fromSize: 1, toSize: 4 },
      { keyId: current.keyId, fromSize: 5, toSize: null },
    ];
    const bundle = await bundleOf({ headKey: old, scopeKey: current, keyHistory: history, headLogId: LOG });
    const ok = { ok: true, keyId: old.keyId, scopeKeyId: current.keyId, logId: LOG, legacyHead: false };
    expect(verifyBundle(bundle, { trustedKeys: [current] })).toMatchObject(ok);
    expect(verifyBundle(bundle, { trustedKeys: [current], logId: LOG })).toMatchObject(ok);
    expect(verifyBundle(bundle, { trustedKeys: [current], logId: OTHER_LOG })).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' },
    });
  });

  it('refuses the old key past its range, a key the history does not list, and a head of another log', async () => {
    const [old, current] = [newKey(), newKey()];
    // The old key (leaked after the rotation, say) signed this size of 4, past the 2 the history gives it.
    const late = await bundleOf({
      headKey: old,
      scopeKey: current,
      keyHistory: [{ keyId: old.keyId, fromSize: 1, toSize: 2 }],
      headLogId: LOG,
    });
    expect(verifyBundle(late)).toMatchObject({
      ok: false,
      error: {
        code: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
        message: expect.stringMatching(/sizes 1\.\.2 only/) as unknown,
      },
    });
    const unlisted = await bundleOf({ headKey: old, scopeKey: current, keyHistory: [], headLogId: LOG });
    expect(verifyBundle(unlisted, { trustedKeys: [current] })).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY' },
    });
    const foreign = await bundleOf({
      headKey: current,
      scopeKey: current,
      keyHistory: [],
      headLogId: OTHER_LOG,
    });
    expect(verifyBundle(foreign)).toMatchObject({ ok: false, error: { code: 'MOD_ERR_AUDIT_WRONG_LOG' } });
  });

  it('reports a legacy head as legacy, and refuses a legacy v2 bundle when a log is asked for', async () => {
    const key = newKey();
    const bundle = await bundleOf({ headKey: key, scopeKey: key, keyHistory: [] });
    expect(verifyBundle(bundle)).toMatchObject({ ok: true, logId: LOG, legacyHead: true });
    const { logId: _, keyHistory: __, ...rest } = bundle;
    const v2 = { ...rest, format: 'mod.audit.bundle.v2' };
    expect(verifyBundle(v2)).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE' },
    });
    const log = createMemoryAuditLog();
    await log.append([orderCreated('o1')]);
    const head = await log.signHead(key);
    const legacy = await log.exportRange(0, 0, head, [key], key);
    expect(verifyBundle(legacy)).toMatchObject({ ok: true, logId: null, legacyHead: true });
    expect(verifyBundle(legacy, { logId: LOG })).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_LEGACY_HEAD' },
    });
  });
});

describe('historyHandovers: the older keys a signed key history vouches for', () => {
  it('hands over a listed rotated-out key to the scope signer, and nothing from a history not its word', async () => {
    const [old, current, stranger] = [newKey(), newKey(), newKey()];
    const history = [
      { keyId: old.keyId, fromSize: 1, toSize: 4 },
      { keyId: current.keyId, fromSize: 4, toSize: null },
    ];
    // Its head (size 4) is the old key's: the bundle carries both public keys.
    const bundle = await bundleOf({
      headKey: old,
      scopeKey: current,
      keyHistory: history,
      headLogId: LOG,
    });
    const handed = historyHandovers(bundle, [current]);
    expect(handed.ok && handed.handed.map((k) => ({ ...k, key: k.key.keyId }))).toEqual([
      { key: old.keyId, fromSize: 1, toSize: 4, handedTo: current.keyId },
    ]);
    expect(handed).toMatchObject({ logId: LOG });
    const oldHead = (treeSize: number) =>
      signTreeHead(
        { treeSize, rootHash: '0'.repeat(64), timestamp: '2026-12-07T00:00:00.000Z', logId: LOG },
        old,
      );
    const given = handed.ok ? handed.handed : [];
    expect(keyForHead(oldHead(3), [current], given)?.keyId).toBe(old.keyId);
    expect(keyForHead(oldHead(5), [current], given)).toBeNull();

    const widened = { ...bundle, keyHistory: history.map((k) => ({ ...k, toSize: null })) };
    expect(historyHandovers(widened, [current])).toMatchObject({
      ok: false,
      code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE',
    });
    expect(historyHandovers(bundle, [stranger])).toMatchObject({
      ok: false,
      code: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
    });
    expect(historyHandovers({ ...bundle, format: 'mod.audit.bundle.v2' }, [current])).toMatchObject({
      ok: false,
      code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED',
    });
  });
});
