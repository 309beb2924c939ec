import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { insertSubmission } from '@mod/db/submissions';
import { moveSealedEvidence } from '@mod/testing';
import { defaultRetentionPolicy, sha256Hex, type EvidenceItem } from '@mod/vault';
import { randomKeyring } from '@mod/vault/testing';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { callAs, openTestOrder, statusAndCode } from './testing.test-helper.js';

// The evidence vault through the API: metadata for oversight, legal holds by an authority, an integrity check
// that opens the item on the server; destroyed evidence answers 410, a wrong master key a coded 503.

const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const HOUR = 3_600_000;

const api = useCallersWorld(castCallers('authA', 'authB', 'reviewer', 'admin', 'platA'), {
  tenants: { 'hotline-1': 'hotline', ops: 'admin' },
});

/** Media of plat-a kept in the vault (as the classifier keeps it), behind an order auth-a issued. */
async function keptEvidence(): Promise<EvidenceItem> {
  const submissionId = randomUUID();
  await insertSubmission(api.db, {
    id: submissionId,
    tenantId: 'plat-a',
    source: 'api',
    sha256: sha256Hex(photo),
    bytes: photo.length,
  });
  await openTestOrder(api.world, {
    targetTenantId: 'plat-a',
    issuer: { kind: 'authority', id: 'auth-a' },
    issuerTenantId: 'auth-a',
    submissionId,
  });
  const { item } = await api.world.vault.keep({
    tenantId: 'plat-a',
    submissionId,
    bytes: photo,
    sha256: sha256Hex(photo),
    reason: 'classifier',
    by: { actor: { kind: 'service', id: 'classifier' }, role: null, tenantId: null },
    at: new Date(),
  });
  return item;
}

const sealedColumns = async (id: string) =>
  (
    await api.db.query<{ ciphertext: Buffer | null; wrapped_key: Buffer | null }>(
      'select ciphertext, wrapped_key from evidence_items where id = $1',
      [id],
    )
  ).rows[0]!;

describe('evidence routes', () => {
  it('shows metadata to oversight and to the authority behind its order; never the bytes', async () => {
    const item = await keptEvidence();
    const res = await api.call(api.keys.reviewer, 'GET', `/v1/evidence/${item.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      id: item.id,
      tenantId: 'plat-a',
      sha256: sha256Hex(photo),
      mediaType: 'image/jpeg',
      state: 'unlinked',
      legalHold: null,
      destroyedAt: null,
      destroyAfter: new Date(
        Date.parse(item.createdAt) + defaultRetentionPolicy.unlinkedHours * HOUR,
      ).toISOString(),
    });
    expect(res.body).not.toContain(photo.subarray(0, 32).toString('base64'));
    expect((await api.call(api.keys.authA, 'GET', `/v1/evidence/${item.id}`)).statusCode).toBe(200);
    expect(statusAndCode(await api.call(api.keys.authB, 'GET', `/v1/evidence/${item.id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect((await api.call(api.keys.platA, 'GET', `/v1/evidence/${item.id}`)).statusCode).toBe(403);
    const listed = await api.call(api.keys.authA, 'GET', `/v1/evidence?submissionId=${item.submissionId}`);
    expect(listed.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([item.id]);
    // The database holds ciphertext, not the image.
    const { ciphertext } = await sealedColumns(item.id);
    expect(ciphertext?.equals(photo)).toBe(false);
    expect(ciphertext?.includes(photo.subarray(4096, 4160))).toBe(false);
  });

  it('checks integrity on the server (audited); a wrong or missing master key answers a coded 503', async () => {
    const item = await keptEvidence();
    const res = await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/verify`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: item.id, intact: true, sha256: sha256Hex(photo), failure: null });
    const opened = (await listAudit(api.db, { subjectId: item.id })).filter(
      (r) => r.action === 'evidence.opened',
    );
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ role: 'authority', tenantId: 'auth-a', reason: 'verify' });

    const wrongKey = await api.world.build({
      evidenceVault: { keyring: randomKeyring(), retention: defaultRetentionPolicy },
    });
    expect(
      statusAndCode(await callAs(wrongKey, api.keys.authA, 'POST', `/v1/evidence/${item.id}/verify`)),
    ).toEqual([503, 'MOD_ERR_API_VAULT_KEY_MISSING']);
    const noKey = await api.world.build({ evidenceVault: undefined });
    expect(
      statusAndCode(await callAs(noKey, api.keys.admin, 'POST', `/v1/evidence/${item.id}/verify`)),
    ).toEqual([503, 'MOD_ERR_API_VAULT_KEY_MISSING']);

    // A sealed row moved onto another item fails its check.
    const other = await keptEvidence();
    await moveSealedEvidence(api.db, item.id, other.id);
    const tampered = await api.call(api.keys.admin, 'POST', `/v1/evidence/${other.id}/verify`);
    expect(tampered.json()).toMatchObject({ intact: false, failure: 'MOD_ERR_VAULT_TAMPERED' });
  });

  it('legal hold prevents destruction; released, the sweep destroys it: bytes and key gone, views answer 410', async () => {
    const item = await keptEvidence();
    expect(
      statusAndCode(await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold`, {})),
    ).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    const held = await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold`, {
      reason: 'criminal investigation 12/2026',
    });
    expect(held.statusCode).toBe(200);
    expect(held.json()).toMatchObject({
      state: 'legal-hold',
      destroyAfter: null,
      legalHold: { authorityTenantId: 'auth-a', reason: 'criminal investigation 12/2026' },
    });
    // Another authority cannot see it, let alone release it; a machine of another role may not hold at all.
    expect(
      statusAndCode(
        await api.call(api.keys.authB, 'POST', `/v1/evidence/${item.id}/legal-hold/release`, {
          reason: 'x',
        }),
      ),
    ).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(
      (
        await api.call(api.keys.reviewer, 'POST', `/v1/evidence/${item.id}/legal-hold`, {
          reason: 'x',
        })
      ).statusCode,
    ).toBe(403);

    const later = new Date(Date.now() + 10_000 * HOUR);
    const service = { actor: { kind: 'service' as const, id: 'actioner' }, role: null, tenantId: null };
    const policy = { afterCaseClosedHours: 1, unlinkedHours: 1 };
    expect((await api.world.vault.sweep(policy, later, service, 1000)).ids).not.toContain(item.id);
    expect((await sealedColumns(item.id)).ciphertext).not.toBeNull();

    const released = await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold/release`, {
      reason: 'investigation closed',
    });
    expect(released.json()).toMatchObject({ state: 'unlinked', legalHold: null });
    expect(
      statusAndCode(
        await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold/release`, {
          reason: 'again',
        }),
      ),
    ).toEqual([409, 'MOD_ERR_API_LEGAL_HOLD_CONFLICT']);
    expect((await api.world.vault.sweep(policy, later, service, 1000)).ids).toContain(item.id);

    expect(await sealedColumns(item.id)).toEqual({ ciphertext: null, wrapped_key: null });
    const meta = await api.call(api.keys.reviewer, 'GET', `/v1/evidence/${item.id}`);
    expect(meta.json()).toMatchObject({
      state: 'destroyed',
      destroyedAt: later.toISOString(),
      sha256: item.sha256,
    });
    expect(statusAndCode(await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/verify`))).toEqual([
      410,
      'MOD_ERR_API_EVIDENCE_GONE',
    ]);
    expect(
      statusAndCode(
        await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold`, {
          reason: 'too late',
        }),
      ),
    ).toEqual([410, 'MOD_ERR_API_EVIDENCE_GONE']);
    expect((await listAudit(api.db, { subjectId: item.id })).map((r) => r.action)).toEqual([
      'evidence.kept',
      'evidence.legal_hold_set',
      'evidence.legal_hold_released',
      'evidence.destroyed',
    ]);
  });

  it("an admin releases another authority's hold; an authority cannot hold over it", async () => {
    const item = await keptEvidence();
    await api.call(api.keys.authA, 'POST', `/v1/evidence/${item.id}/legal-hold`, {
      reason: 'held by a',
    });
    // The admin sees everything, but the hold stays auth-a's to release, or an admin's.
    expect(
      statusAndCode(
        await api.call(api.keys.admin, 'POST', `/v1/evidence/${item.id}/legal-hold`, { reason: 'b' }),
      ),
    ).toEqual([409, 'MOD_ERR_API_LEGAL_HOLD_CONFLICT']);
    const released = await api.call(api.keys.admin, 'POST', `/v1/evidence/${item.id}/legal-hold/release`, {
      reason: 'court order lifted',
    });
    expect(released.statusCode).toBe(200);
    const record = (await listAudit(api.db, { subjectId: item.id })).at(-1);
    expect(record).toMatchObject({ action: 'evidence.legal_hold_released', role: 'admin', tenantId: 'ops' });
  });
});
