import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '@mod/db';
import { seedTenants } from '@mod/testing';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { bankKnownPhoto, json, makePhoto, multipart, read, waitFor } from './helpers.js';

const MODCTL = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

let dir: string;
let publicKeyPath: string;
let keys: Record<string, string>;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

/** Runs the offline verifier (`modctl audit verify`) on a bundle: no database, no network. */
async function modctlVerify(bundle: unknown): Promise<{ exitCode: number; out: Record<string, unknown> }> {
  const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(bundle));
  return new Promise((resolve) => {
    execFile(process.execPath, [MODCTL, 'audit', 'verify', file, '--key', publicKeyPath], (err, stdout) => {
      const exitCode = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ exitCode, out: JSON.parse(stdout) as Record<string, unknown> });
    });
  });
}

usePipelineWorld({
  MOD_AUDIT_SIGNING_KEY_PEM: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  AUDIT_SIGN_EVERY_RECORDS: '1',
  AUDIT_SIGN_EVERY_MS: '50',
});

const asAuthority = (url: string) =>
  pipeline.app.inject({ url, headers: { authorization: `Bearer ${keys['authority-1']}` } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-e2e-'));
  publicKeyPath = join(dir, 'log-key.pem');
  await writeFile(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  keys = await seedTenants(world.db, [
    { id: 'isp-1', kind: 'isp', role: 'isp' },
    { id: 'platform-1', kind: 'platform', role: 'platform' },
    { id: 'authority-1', kind: 'authority', role: 'authority' },
  ]);
  await bankKnownPhoto(world, pipeline, await makePhoto(11));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('verifiable audit trail across services (real Kafka and Postgres)', () => {
  it('exports a case as a bundle the offline verifier accepts, and names a record altered afterwards', async () => {
    const upload = multipart(
      { externalRef: 'case-7' },
      { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes: await makePhoto(11) },
    );
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...upload.headers, authorization: `Bearer ${keys['platform-1']}` },
      payload: upload.payload,
    });
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const orderId = await waitFor('the order', async () => {
      const { rows } = await world.db.query<{ id: string }>(
        'select id from orders where submission_id = $1',
        [submissionId],
      );
      return rows[0]?.id;
    });

    // The case: the verdict (subject: the submission) and the order (evidence: the submission id), once signed.
    const bundle = await waitFor('a signed head covering the case', async () => {
      const r = await asAuthority(`/v1/audit/export?ref=${submissionId}&label=case-7`);
      if (r.statusCode !== 200) return undefined;
      const b = r.json<{
        entries: { record: string; leafIndex: number }[];
        treeHead: { treeSize: number };
        scope: { seqs: number[] };
      }>();
      return b.entries.length === 2 ? b : undefined;
    });
    const records = bundle.entries.map(
      (e) => JSON.parse(e.record) as { seq: number; action: string; subject: { id: string } },
    );
    expect(records.map((r) => r.action)).toEqual(['verdict.recorded', 'order.issued']);
    expect(records[1]?.subject.id).toBe(orderId);
    expect(await modctlVerify(bundle)).toMatchObject({
      exitCode: 0,
      out: { ok: true, records: 2, complete: true },
    });

    // The export's scope is signed: a record removed with the scope edited to match is caught offline, and a
    // bundle stripped of that signature (the legacy format) no longer passes as complete.
    const edited = structuredClone(bundle) as typeof bundle & { format: string; scopeSignature?: unknown };
    const [removed] = edited.entries.splice(0, 1);
    edited.scope.seqs = edited.scope.seqs.filter((s) => s !== removed?.leafIndex);
    expect(await modctlVerify(edited)).toMatchObject({
      exitCode: 1,
      out: { ok: false, error: { code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE', firstBadRecord: null } },
    });
    delete edited.scopeSignature;
    edited.format = 'mod.audit.bundle.v1';
    expect(await modctlVerify(edited)).toMatchObject({
      exitCode: 1,
      out: { ok: false, error: { code: 'MOD_ERR_AUDIT_SCOPE_UNSIGNED' } },
    });

    // The same head reached authorities on Kafka.
    const heads = await read(world, world.topics.auditTreeHeads, (r) =>
      r.some((m) => json<{ treeSize: number }>(m).treeSize >= bundle.treeHead.treeSize),
    );
    expect(heads.map((m) => json<unknown>(m))).toContainEqual(bundle.treeHead);

    // Proofs over the API; readers only.
    const seq = records[1]?.seq ?? -1;
    const proof = await asAuthority(`/v1/audit/records/${seq}/inclusion-proof`);
    expect(proof.statusCode).toBe(200);
    expect(proof.json<{ entry: { leafIndex: number } }>().entry.leafIndex).toBe(seq);
    const consistency = await asAuthority(`/v1/audit/consistency-proof?fromSize=1`);
    expect(consistency.statusCode).toBe(200);
    expect(
      (await asAuthority(`/v1/audit/records/${seq}/evidence`)).json<{ evidence: unknown[] }>().evidence
        .length,
    ).toBeGreaterThan(0);
    const isp = await pipeline.app.inject({
      url: '/v1/audit/tree-heads/latest',
      headers: { authorization: `Bearer ${keys['isp-1']}` },
    });
    expect(isp.statusCode).toBe(403);

    // The database owner rewrites the order record: the next export no longer verifies, and says which record.
    await withTransaction(world.db, async (c) => {
      await c.query('alter table audit_records disable trigger user');
      await c.query(
        `update audit_records set record = replace(record, 'order.issued', 'order.withdrawn') where seq = $1`,
        [seq],
      );
      await c.query('alter table audit_records enable trigger user');
    });
    const tampered = await asAuthority(
      `/v1/audit/export?ref=${submissionId}&treeSize=${bundle.treeHead.treeSize}`,
    );
    expect(tampered.statusCode).toBe(200);
    expect(await modctlVerify(tampered.json())).toMatchObject({
      exitCode: 1,
      out: { ok: false, error: { code: 'MOD_ERR_AUDIT_RECORD_CHANGED', firstBadRecord: { index: 1, seq } } },
    });
  });
});
