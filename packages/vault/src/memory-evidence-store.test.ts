import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './envelope.js';
import { VaultErrorCode } from './errors.js';
import { evidenceItemId } from './evidence.js';
import {
  actioner,
  evidenceToKeep as toKeep,
  holdBy,
  hours,
  photo,
  retentionPolicy as policy,
  reviewer,
} from './evidence-fixtures.test-helper.js';
import { createMemoryEvidenceStore, randomKeyring } from './memory-evidence-store.test-helper.js';
import { destructionDueAt } from './retention.js';

const all = { all: true } as const;

describe('in-memory evidence store', () => {
  it('keeps media once per (tenant, submission), sealed, with its metadata and a custody record', async () => {
    const store = createMemoryEvidenceStore();
    const input = toKeep({ sha256: sha256Hex(photo) });
    const first = await store.keep(input);
    expect(first.created).toBe(true);
    expect(first.item).toMatchObject({
      id: evidenceItemId('platform-a', input.submissionId),
      sha256: sha256Hex(photo),
      mediaType: 'image/jpeg',
      sizeBytes: photo.length,
      reason: 'classifier',
      caseId: null,
      legalHold: null,
      destroyedAt: null,
    });
    const again = await store.keep({ ...input, at: hours(5) });
    expect(again).toEqual({ item: first.item, created: false });
    expect(store.audits.map((a) => a.action)).toEqual(['evidence.kept']);
    expect(JSON.stringify(store.audits)).not.toContain(photo.subarray(100, 140).toString('base64'));
    expect(store.sealed(first.item.id)!.ciphertext.includes(photo.subarray(1000, 1032))).toBe(false);
  });

  it('refuses bad input with MOD_ERR_VAULT_INVALID_ITEM', async () => {
    const store = createMemoryEvidenceStore({ maxBytes: 1000 });
    for (const input of [
      toKeep({ bytes: Buffer.alloc(0) }),
      toKeep(),
      toKeep({ bytes: photo.subarray(0, 500), sha256: sha256Hex(photo) }),
      toKeep({ bytes: photo.subarray(0, 500), submissionId: 'not-a-uuid' }),
      toKeep({ bytes: photo.subarray(0, 500), tenantId: 'Bad Tenant' }),
    ])
      await expect(store.keep(input)).rejects.toMatchObject({ code: VaultErrorCode.INVALID_ITEM });
  });

  it('opens bytes only with an audit record, within scope, and refuses a process with another key', async () => {
    const ring = randomKeyring();
    const store = createMemoryEvidenceStore({ keyring: ring });
    const { item } = await store.keep(toKeep());
    const opened = await store.open(item.id, { scope: all, by: reviewer, view: 'preview', at: hours(2) });
    expect(opened?.bytes.equals(photo)).toBe(true);
    expect(store.audits.at(-1)).toMatchObject({
      action: 'evidence.opened',
      actor: reviewer.actor,
      role: 'reviewer',
      reason: 'preview',
      subject: { type: 'evidence', id: item.id },
    });
    const outside = await store.open(item.id, {
      scope: { all: false, tenantId: 'platform-b' },
      by: reviewer,
      view: 'reveal',
      at: hours(2),
    });
    expect(outside).toBeNull();
    expect(await store.get(item.id, { all: false, tenantId: 'platform-b' })).toBeNull();

    // The same rows read by a process configured with another master key.
    const elsewhere = createMemoryEvidenceStore();
    const { item: other } = await elsewhere.keep(toKeep());
    store.replaceSealed(item.id, elsewhere.sealed(other.id)!);
    await expect(
      store.open(item.id, { scope: all, by: reviewer, view: 'reveal', at: hours(2) }),
    ).rejects.toMatchObject({ code: VaultErrorCode.MASTER_KEY_UNKNOWN });
  });

  it('destroys unlinked evidence after its retention, keeps the metadata, and answers DESTROYED on open', async () => {
    const store = createMemoryEvidenceStore();
    const { item } = await store.keep(toKeep());
    expect(destructionDueAt(item, policy)).toEqual(hours(72));
    expect(await store.sweep(policy, hours(71), actioner)).toEqual({ destroyed: 0, ids: [] });
    expect(await store.sweep(policy, hours(72), actioner)).toEqual({ destroyed: 1, ids: [item.id] });
    const after = await store.get(item.id, all);
    expect(after?.destroyedAt).toBe(hours(72).toISOString());
    expect(store.sealed(item.id)).toBeNull();
    await expect(
      store.open(item.id, { scope: all, by: reviewer, view: 'preview', at: hours(73) }),
    ).rejects.toMatchObject({ code: VaultErrorCode.DESTROYED });
    expect(store.audits.at(-1)).toMatchObject({ action: 'evidence.destroyed', tenantId: 'platform-a' });
    expect(store.audits.at(-1)?.reason).toContain('no case named it within 72 h');
    expect(await store.countByState()).toMatchObject({ destroyed: 1, unlinked: 0 });
  });

  it('keeps evidence while its case is open and destroys it a retention period after the case closes', async () => {
    const store = createMemoryEvidenceStore();
    const { item } = await store.keep(toKeep());
    const caseId = randomUUID();
    expect(await store.linkCase({ submissionId: item.submissionId, caseId, at: hours(1) })).toBe(1);
    expect(await store.sweep(policy, hours(1000), actioner)).toMatchObject({ destroyed: 0 });
    expect(await store.closeCase({ caseId, at: hours(1000) })).toBe(1);
    expect(await store.countByState()).toMatchObject({ 'case-closed': 1 });
    expect(await store.sweep(policy, hours(1023), actioner)).toMatchObject({ destroyed: 0 });
    // Reopened (linked again): the clock stops.
    expect(await store.linkCase({ submissionId: item.submissionId, caseId, at: hours(1010) })).toBe(1);
    expect(await store.sweep(policy, hours(1050), actioner)).toMatchObject({ destroyed: 0 });
    expect(await store.closeCase({ submissionId: item.submissionId, at: hours(1100) })).toBe(1);
    expect(await store.sweep(policy, hours(1124), actioner)).toMatchObject({ destroyed: 1 });
  });

  it('never destroys evidence under legal hold; release, then the sweep destroys it', async () => {
    const store = createMemoryEvidenceStore();
    const { item } = await store.keep(toKeep());
    const held = await store.setLegalHold(item.id, all, holdBy('authority-a'));
    expect(held).toMatchObject({
      ok: true,
      item: { legalHold: { authorityTenantId: 'authority-a', by: 'key-authority-a' } },
    });
    expect(await store.sweep(policy, hours(10_000), actioner)).toMatchObject({ destroyed: 0 });
    expect(await store.countByState()).toMatchObject({ 'legal-hold': 1 });

    // Another authority neither overrides nor releases it; an admin releases it.
    expect(await store.setLegalHold(item.id, all, holdBy('authority-b'))).toMatchObject({
      ok: false,
      refusal: 'held-by-another-authority',
    });
    expect(await store.releaseLegalHold(item.id, all, holdBy('authority-b'))).toMatchObject({
      ok: false,
      refusal: 'held-by-another-authority',
    });
    expect(
      await store.releaseLegalHold(
        item.id,
        all,
        holdBy('ops', { mayOverride: true, reason: 'case dropped' }),
      ),
    ).toMatchObject({ ok: true, item: { legalHold: null } });
    expect(await store.releaseLegalHold(item.id, all, holdBy('authority-a'))).toMatchObject({
      ok: false,
      refusal: 'not-held',
    });
    expect(store.audits.map((a) => a.action)).toEqual([
      'evidence.kept',
      'evidence.legal_hold_set',
      'evidence.legal_hold_released',
    ]);
    expect(await store.sweep(policy, hours(10_000), actioner)).toMatchObject({ destroyed: 1 });
    expect(await store.setLegalHold(item.id, all, holdBy('authority-a'))).toMatchObject({
      ok: false,
      refusal: 'destroyed',
    });
  });

  it("scopes an authority to its tenant's items and those it holds", async () => {
    const store = createMemoryEvidenceStore();
    const own = (await store.keep(toKeep({ tenantId: 'authority-a' }))).item;
    const other = (await store.keep(toKeep())).item;
    const scope = { all: false, authorityTenantId: 'authority-a' } as const;
    expect((await store.list({ scope, limit: 10 })).map((i) => i.id)).toEqual([own.id]);
    expect(await store.setLegalHold(other.id, scope, holdBy('authority-a'))).toMatchObject({
      ok: false,
      refusal: 'not-found',
    });
    await store.setLegalHold(other.id, all, holdBy('authority-a'));
    expect(await store.get(other.id, scope)).not.toBeNull();
    expect(
      (await store.list({ scope: all, submissionId: other.submissionId, limit: 10 })).map((i) => i.id),
    ).toEqual([other.id]);
  });
});
