import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMasterKeyring,
  sha256Hex,
  VaultErrorCode,
  type EvidenceStore,
  type MasterKeyring,
} from '@mod/vault';
import { randomKeyring } from '@mod/vault/testing';
import {
  actioner,
  evidenceToKeep,
  holdBy,
  hours,
  photo,
  retentionPolicy as policy,
  reviewer,
  T0,
} from '@mod/vault/testing/evidence';
import { listAudit } from './audit.js';
import { createPgEvidenceStore } from './evidence-vault.js';
import { closeEvidenceCase, linkEvidenceToCase } from './evidence-retention.js';
import { insertSubmission } from './submissions.js';
import { moveSealedEvidence } from './test-fixtures.test-helper.js';
import { db, useTestSchema } from './testing.test-helper.js';

const masterKeyText = randomBytes(32).toString('base64');
const all = { all: true } as const;

let keyring: MasterKeyring;
let store: EvidenceStore;

async function submission(tenantId = 'platform-a'): Promise<string> {
  const id = randomUUID();
  await insertSubmission(db.pool, {
    id,
    tenantId,
    source: 'api',
    sha256: sha256Hex(photo),
    bytes: photo.length,
  });
  return id;
}
async function keep(tenantId = 'platform-a', at = T0) {
  const submissionId = await submission(tenantId);
  return (await store.keep(evidenceToKeep({ tenantId, submissionId, at }))).item;
}
async function openCaseRow(submissionId: string, kind: 'review' | 'confirm' = 'review'): Promise<string> {
  const id = randomUUID();
  await db.pool.query(
    `insert into cases (id, kind, submission_id, reason, evidence, policy_version, created_at)
     values ($1, $3, $2, 'test', '{}', 't', now())`,
    [id, submissionId, kind],
  );
  return id;
}
const rawRow = async (id: string) =>
  (
    await db.pool.query<{ ciphertext: Buffer | null; wrapped_key: Buffer | null; data_nonce: Buffer | null }>(
      'select ciphertext, wrapped_key, data_nonce from evidence_items where id = $1',
      [id],
    )
  ).rows[0]!;

useTestSchema({
  'platform-a': 'platform',
  'platform-b': 'platform',
  'authority-a': 'authority',
  'authority-b': 'authority',
});
beforeAll(() => {
  keyring = createMasterKeyring({ current: masterKeyText });
  store = createPgEvidenceStore(db.pool, { keyring });
});

describe('evidence vault on PostgreSQL', () => {
  it('stores ciphertext that differs from the image and holds no run of it; keeps once per submission', async () => {
    const submissionId = await submission();
    const input = evidenceToKeep({ submissionId, sha256: sha256Hex(photo) });
    const first = await store.keep(input);
    expect(first.created).toBe(true);
    expect(first.item).toMatchObject({ mediaType: 'image/jpeg', sizeBytes: photo.length, destroyedAt: null });
    const second = await store.keep({ ...input, at: hours(1) });
    expect(second).toEqual({ item: first.item, created: false });
    const { rows } = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from evidence_items where submission_id = $1',
      [submissionId],
    );
    expect(rows[0]?.n).toBe(1);

    const { ciphertext } = await rawRow(first.item.id);
    expect(ciphertext).not.toBeNull();
    expect(ciphertext!.equals(photo)).toBe(false);
    // No 24-byte stretch of the image, taken every 16 bytes, appears in what PostgreSQL holds.
    let found = 0;
    for (let at = 0; at + 24 <= photo.length; at += 16)
      if (ciphertext!.includes(photo.subarray(at, at + 24))) found++;
    expect(found).toBe(0);
    const { rows: plain } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from evidence_items where position($1::bytea in coalesce(ciphertext, ''::bytea)) > 0`,
      [photo.subarray(2000, 2064)],
    );
    expect(plain[0]?.n).toBe(0);
    const kept = await listAudit(db.pool, { subjectId: first.item.id });
    expect(kept.map((r) => r.action)).toEqual(['evidence.kept']);
  });

  it('opens with the right master key (audited); a wrong key fails with MOD_ERR_VAULT_MASTER_KEY_UNKNOWN', async () => {
    const item = await keep();
    const opened = await store.open(item.id, { scope: all, by: reviewer, view: 'reveal', at: hours(2) });
    expect(opened?.bytes.equals(photo)).toBe(true);
    const records = await listAudit(db.pool, { subjectId: item.id });
    expect(records.map((r) => [r.action, r.actor.id, r.reason])).toContainEqual([
      'evidence.opened',
      'key-reviewer',
      'reveal',
    ]);
    const wrongKey = createPgEvidenceStore(db.pool, { keyring: randomKeyring() });
    await expect(
      wrongKey.open(item.id, { scope: all, by: reviewer, view: 'preview', at: hours(2) }),
    ).rejects.toMatchObject({ code: VaultErrorCode.MASTER_KEY_UNKNOWN });
    // After a rotation the old key, listed as previous, still opens it.
    const rotated = createPgEvidenceStore(db.pool, {
      keyring: createMasterKeyring({
        current: randomBytes(32).toString('base64'),
        previous: [masterKeyText],
      }),
    });
    const reopened = await rotated.open(item.id, { scope: all, by: reviewer, view: 'verify', at: hours(2) });
    expect(reopened?.bytes.equals(photo)).toBe(true);
  });

  it('refuses a sealed row swapped onto another item (MOD_ERR_VAULT_TAMPERED)', async () => {
    const a = await keep();
    const b = await keep();
    await moveSealedEvidence(db.pool, a.id, b.id);
    await expect(
      store.open(b.id, { scope: all, by: reviewer, view: 'preview', at: hours(2) }),
    ).rejects.toMatchObject({ code: VaultErrorCode.TAMPERED });
  });

  it('destroys after retention: bytes and wrapped key NULL, metadata kept, opening is MOD_ERR_VAULT_DESTROYED', async () => {
    const unlinked = await keep('platform-a', hours(100));
    const inCase = await keep('platform-a', hours(100));
    const caseId = await openCaseRow(inCase.submissionId);
    expect(await store.get(inCase.id, all)).toMatchObject({ caseId, caseClosedAt: null });
    expect((await store.sweep(policy, hours(171), actioner)).ids).not.toContain(unlinked.id);
    const swept = await store.sweep(policy, hours(172), actioner, 1000);
    expect(swept.ids).toContain(unlinked.id);
    expect(swept.ids).not.toContain(inCase.id);
    expect(await rawRow(unlinked.id)).toEqual({ ciphertext: null, wrapped_key: null, data_nonce: null });
    const meta = await store.get(unlinked.id, all);
    expect(meta).toMatchObject({ sha256: unlinked.sha256, destroyedAt: hours(172).toISOString() });
    await expect(
      store.open(unlinked.id, { scope: all, by: reviewer, view: 'preview', at: hours(173) }),
    ).rejects.toMatchObject({ code: VaultErrorCode.DESTROYED });
    const destroyed = (await listAudit(db.pool, { subjectId: unlinked.id })).at(-1);
    expect(destroyed).toMatchObject({
      action: 'evidence.destroyed',
      actor: { kind: 'service', id: 'actioner' },
    });

    // The case closes: 24 h later it goes too.
    expect(await closeEvidenceCase(db.pool, { caseId, at: hours(200) })).toBe(1);
    expect((await store.sweep(policy, hours(223), actioner, 1000)).ids).not.toContain(inCase.id);
    expect((await store.sweep(policy, hours(224), actioner, 1000)).ids).toContain(inCase.id);
  });

  it('follows its case: opened, closed, reopened, whoever changes the cases row; a case that exists first is named at keep', async () => {
    const item = await keep('platform-a', hours(400));
    const caseId = await openCaseRow(item.submissionId);
    expect(await store.get(item.id, all)).toMatchObject({ caseId, caseClosedAt: null });
    await db.pool.query(`update cases set status = 'closed', closed_at = $2 where id = $1`, [
      caseId,
      hours(410),
    ]);
    expect(await store.get(item.id, all)).toMatchObject({ caseId, caseClosedAt: hours(410).toISOString() });
    await db.pool.query(`update cases set status = 'open', closed_at = null where id = $1`, [caseId]);
    expect(await store.get(item.id, all)).toMatchObject({ caseId, caseClosedAt: null });
    // A later case for the same submission (a confirmation, an escalation) takes the evidence over; closing the
    // earlier one then changes nothing.
    const later = await openCaseRow(item.submissionId, 'confirm');
    await db.pool.query(`update cases set status = 'closed', closed_at = $2 where id = $1`, [
      caseId,
      hours(420),
    ]);
    expect(await store.get(item.id, all)).toMatchObject({ caseId: later, caseClosedAt: null });
    // The explicit calls do the same for callers without a cases row (no-ops when nothing changes).
    expect(
      await linkEvidenceToCase(db.pool, {
        submissionId: item.submissionId,
        caseId: later,
        at: hours(421),
      }),
    ).toBe(0);
    expect(await closeEvidenceCase(db.pool, { submissionId: item.submissionId, at: hours(430) })).toBe(1);
    expect(await store.get(item.id, all)).toMatchObject({ caseClosedAt: hours(430).toISOString() });

    const submissionId = await submission();
    const early = await openCaseRow(submissionId);
    const late = await store.keep(evidenceToKeep({ submissionId, reason: 'report', at: hours(440) }));
    expect(late.item).toMatchObject({ caseId: early, caseClosedAt: null });
  });

  it('never destroys under legal hold; the hold is scoped and audited; release, then the sweep destroys', async () => {
    const item = await keep('platform-b', hours(300));
    const authorityScope = { all: false, authorityTenantId: 'authority-a' } as const;
    // Another tenant's item, not behind any order of this authority: hidden from it.
    expect(await store.setLegalHold(item.id, authorityScope, holdBy('authority-a'))).toEqual({
      ok: false,
      refusal: 'not-found',
      item: null,
    });
    const held = await store.setLegalHold(item.id, all, holdBy('authority-a'));
    expect(held).toMatchObject({ ok: true, item: { legalHold: { authorityTenantId: 'authority-a' } } });
    // Holding it, the authority now sees it.
    expect(await store.get(item.id, authorityScope)).not.toBeNull();
    expect(await store.releaseLegalHold(item.id, all, holdBy('authority-b'))).toMatchObject({
      ok: false,
      refusal: 'held-by-another-authority',
    });
    expect((await store.sweep(policy, hours(100_000), actioner, 1000)).ids).not.toContain(item.id);
    expect((await rawRow(item.id)).ciphertext).not.toBeNull();

    expect(
      await store.releaseLegalHold(item.id, authorityScope, holdBy('authority-a', { reason: 'case closed' })),
    ).toMatchObject({ ok: true, item: { legalHold: null } });
    expect((await store.sweep(policy, hours(100_000), actioner, 1000)).ids).toContain(item.id);
    expect((await rawRow(item.id)).wrapped_key).toBeNull();
    expect((await listAudit(db.pool, { subjectId: item.id })).map((r) => r.action)).toEqual([
      'evidence.kept',
      'evidence.legal_hold_set',
      'evidence.legal_hold_released',
      'evidence.destroyed',
    ]);
    expect(await store.setLegalHold(item.id, all, holdBy('authority-a'))).toMatchObject({
      ok: false,
      refusal: 'destroyed',
    });
  });

  it('concurrent sweeps share the work (skip locked): each item destroyed once', async () => {
    const at = hours(1000);
    const items = await Promise.all(Array.from({ length: 6 }, () => keep('platform-a', at)));
    const later = hours(1000 + 72);
    const [one, two] = await Promise.all([
      store.sweep(policy, later, actioner, 3),
      store.sweep(policy, later, actioner, 3),
    ]);
    const third = await store.sweep(policy, later, actioner, 10);
    const destroyed = [...one.ids, ...two.ids, ...third.ids];
    expect(new Set(destroyed).size).toBe(destroyed.length);
    for (const i of items) expect(destroyed).toContain(i.id);
  });

  it('scopes reads: a tenant its own items; counts by state', async () => {
    const own = await keep('platform-b', hours(5000));
    const visible = await store.list({ scope: { all: false, tenantId: 'platform-b' }, limit: 100 });
    expect(visible.every((i) => i.tenantId === 'platform-b')).toBe(true);
    expect(visible.map((i) => i.id)).toContain(own.id);
    expect(await store.get(own.id, { all: false, tenantId: 'platform-a' })).toBeNull();
    const counts = await store.countByState();
    expect(Object.keys(counts).sort()).toEqual([
      'case-closed',
      'destroyed',
      'in-case',
      'legal-hold',
      'unlinked',
    ]);
    expect(counts.destroyed).toBeGreaterThanOrEqual(9);
    expect(counts.unlinked).toBeGreaterThanOrEqual(1);
  });
});
