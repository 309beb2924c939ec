import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryAuditLog,
  generateSigningKeyPair,
  loadPublicKey,
  loadSigningKey,
  publicKeySpkiBase64,
  signBundleScope,
} from '@mod/audit';
import type { AuditBundle } from '@mod/audit';
import { auditCommand } from './audit.js';

let dir: string;
let bundle: AuditBundle;
let legacy: AuditBundle;
const pair = generateSigningKeyPair();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modctl-audit-'));
  const log = createMemoryAuditLog();
  await log.append(
    Array.from({ length: 6 }, (_, i) => ({
      actor: { kind: 'service' as const, id: 'actioner' },
      action: 'order.created',
      subject: { type: 'order', id: `ord_${i}` },
      evidence: { sha256: String(i).repeat(64) },
    })),
  );
  const key = loadSigningKey(pair.privateKeyPem);
  const head = await log.signHead(key);
  bundle = await log.exportRange(0, 5, head, [loadPublicKey(pair.publicKeyPem)], key);
  legacy = await log.exportRange(0, 5, head, [loadPublicKey(pair.publicKeyPem)]);
  await writeFile(join(dir, 'key.pem'), pair.publicKeyPem);
  await writeFile(join(dir, 'other.pem'), generateSigningKeyPair().publicKeyPem);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await auditCommand.run(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

/** `modctl audit` with `argv` exits 1, printing a failed verification with an error matching `error`. */
async function expectRejected(argv: string[], error: Record<string, unknown>): Promise<void> {
  const { code, out } = await run(argv);
  expect(code).toBe(1);
  expect(JSON.parse(out[0] ?? '')).toMatchObject({ ok: false, error });
}

async function save(name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

describe('modctl audit verify', () => {
  it('prints one JSON line and exits 0 for a good bundle', async () => {
    const path = await save('good.json', bundle);
    const { code, out } = await run(['verify', path, '--key', join(dir, 'key.pem')]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] ?? '')).toEqual({
      ok: true,
      records: 6,
      treeSize: 6,
      rootHash: bundle.treeHead.rootHash,
      keyId: pair.keyId,
      scopeKeyId: pair.keyId,
      // A bundle of the memory log, which has no log id: said, never passed off as naming one.
      logId: null,
      legacyHead: true,
      complete: true,
    });
  });

  it('rejects a bundle whose scope was edited to hide a removed record', async () => {
    const tampered = structuredClone(bundle);
    tampered.entries.pop();
    if (tampered.scope.kind === 'range') tampered.scope.toSeq -= 1;
    await expectRejected(['verify', await save('rescoped.json', tampered), '--key', join(dir, 'key.pem')], {
      code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE',
      firstBadRecord: null,
    });
  });

  it('rejects a bundle holding a key twice in one object: what a reader sees is not what was verified', async () => {
    // JSON.parse keeps the last "entries"; a person (or a parser keeping the first) reads forged records first.
    const forged = structuredClone(bundle.entries);
    const first = forged[0];
    if (first !== undefined) first.record = first.record.replace('ord_0', 'ord_forged');
    const text = JSON.stringify(bundle).replace(
      '"entries":',
      `"entries":${JSON.stringify(forged)},"entries":`,
    );
    const path = join(dir, 'twice.json');
    await writeFile(path, text);
    await expectRejected(['verify', path, '--key', join(dir, 'key.pem')], {
      code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED',
    });
    const keptTwice = join(dir, 'kept-twice.json');
    await writeFile(keptTwice, JSON.stringify(bundle.treeHead).replace('{', '{"treeSize":1,'));
    await expectRejected(['verify-consistency', keptTwice, path, '--key', join(dir, 'key.pem')], {
      code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED',
    });
  });

  it('without --key, rejects a scope signed by another key than the head whose key id it prints', async () => {
    // Whoever hands the bundle on drops a record and signs the edited scope with a key of their own, which they
    // add to the bundle's keys: the head (and the key id printed for comparison) is still the log's.
    const mallory = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const tampered = structuredClone(bundle);
    tampered.entries.pop();
    if (tampered.scope.kind === 'range') tampered.scope.toSeq -= 1;
    tampered.scopeSignature = signBundleScope(tampered.scope, tampered.treeHead, mallory);
    tampered.publicKeys.push({ keyId: mallory.keyId, spki: publicKeySpkiBase64(mallory.publicKey) });
    await expectRejected(['verify', await save('rescoped-by-another.json', tampered)], {
      code: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
    });
  });

  it('never reports a legacy bundle (unsigned scope) as complete', async () => {
    const path = await save('legacy.json', legacy);
    await expectRejected(['verify', path, '--key', join(dir, 'key.pem')], {
      code: 'MOD_ERR_AUDIT_SCOPE_UNSIGNED',
    });
    const allowed = await run(['verify', path, '--key', join(dir, 'key.pem'), '--allow-unsigned-scope']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out[0] ?? '')).toMatchObject({ ok: true, records: 6, complete: false });
  });

  it('names the first bad record and exits 1 for a tampered bundle', async () => {
    const tampered = structuredClone(bundle);
    tampered.entries.splice(2, 1);
    await expectRejected(['verify', await save('deleted.json', tampered)], {
      code: 'MOD_ERR_AUDIT_RECORD_DELETED',
      firstBadRecord: { index: 2, seq: 2 },
    });
  });

  it('rejects a bundle signed by a key that is not trusted', async () => {
    await expectRejected(['verify', await save('good2.json', bundle), '--key', join(dir, 'other.pem')], {
      code: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
    });
  });

  it('accepts several --key options (rotation)', async () => {
    const path = await save('good3.json', bundle);
    const { code } = await run([
      'verify',
      path,
      '--key',
      join(dir, 'other.pem'),
      '--key',
      join(dir, 'key.pem'),
    ]);
    expect(code).toBe(0);
  });

  it('reports unreadable input as JSON, and bad usage with exit 2', async () => {
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{ nope');
    await expectRejected(['verify', notJson], { code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED' });
    const missing = await run(['verify', join(dir, 'absent.json')]);
    expect(missing.code).toBe(1);
    expect((await run(['verify'])).code).toBe(2);
    expect((await run(['verify', 'a.json', '--key'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});
