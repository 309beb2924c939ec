import { beforeAll, describe, expect, it } from 'vitest';
import {
  commitText,
  createMemoryAuditLog,
  generateSigningKeyPair,
  loadPublicKey,
  loadSigningKey,
  newTextSalt,
  type AuditRecordDraft,
} from '@mod/audit';
import type { AuditBundle } from '../api/types.js';
import { commitmentOf, shownText } from './texts.js';
import { verifyBundle } from './verify.js';

// Records that commit to their reason (kept beside the log, erasable), made and committed by @mod/audit's own
// code, checked by the browser's code over WebCrypto (Node's here). Records 0..2 are legacy (reason inside).
const pair = generateSigningKeyPair();
const key = loadSigningKey(pair.privateKeyPem);
const salts = Array.from({ length: 6 }, () => newTextSalt());
const reasonOf = (i: number) => `lý do ${i} "trích dẫn"`;
const draft = (i: number): AuditRecordDraft => ({
  actor: { kind: 'person', id: `person_${i}` },
  action: 'order.issued',
  subject: { type: 'order', id: `o_${i}` },
  reason: i < 3 ? reasonOf(i) : null,
  ...(i < 3 ? {} : { commitments: { reason: commitText('reason', salts[i] ?? '', reasonOf(i)) } }),
  evidence: { sha256: i.toString(16).padStart(64, '0') },
});
let pristine: AuditBundle;
const copy = () => structuredClone(pristine);
const failedEntries = async (b: AuditBundle) =>
  (await verifyBundle(b)).entries.filter((e) => !e.textsOk).map((e) => e.leafIndex);

beforeAll(async () => {
  const log = createMemoryAuditLog();
  for (let i = 0; i < 6; i++) await log.append([draft(i)]);
  const head = await log.signHead(key);
  const bundle = await log.exportRange(0, 5, head, [loadPublicKey(pair.publicKeyPem)], key);
  for (const e of bundle.entries)
    if (e.leafIndex >= 3)
      e.texts = { reason: { text: reasonOf(e.leafIndex), salt: salts[e.leafIndex] ?? '' } };
  pristine = JSON.parse(JSON.stringify(bundle)) as AuditBundle;
});

describe('erasable texts in the browser', () => {
  it('computes the commitment @mod/audit computes', async () => {
    const salt = newTextSalt();
    expect(await commitmentOf('reason', salt, 'Đã xoá 😀')).toBe(commitText('reason', salt, 'Đã xoá 😀'));
    expect(await commitmentOf('reason', 'zz', 'x')).toBeNull();
  });

  it('accepts kept texts and erased ones, and shows what is left', async () => {
    const b = copy();
    b.entries[4]!.texts = { reason: { erasedAt: '2026-12-07T10:00:00.000Z' } };
    const c = await verifyBundle(b);
    expect(c.ok).toBe(true);
    expect(c.entries.every((e) => e.textsOk)).toBe(true);
    expect(shownText(c.entries[1]!.record, c.entries[1]!.texts, 'reason')).toEqual({ text: reasonOf(1) });
    expect(shownText(c.entries[3]!.record, c.entries[3]!.texts, 'reason')).toEqual({ text: reasonOf(3) });
    expect(shownText(c.entries[4]!.record, c.entries[4]!.texts, 'reason')).toEqual({
      erasedAt: '2026-12-07T10:00:00.000Z',
    });
  });

  it('finds a changed text, a changed salt, and a text for a record that commits to none', async () => {
    const text = copy();
    text.entries[3]!.texts = { reason: { text: 'forged', salt: salts[3] ?? '' } };
    expect(await failedEntries(text)).toEqual([3]);
    expect((await verifyBundle(text)).ok).toBe(false);
    const salt = copy();
    salt.entries[5]!.texts = { reason: { text: reasonOf(5), salt: newTextSalt() } };
    expect(await failedEntries(salt)).toEqual([5]);
    const legacy = copy();
    legacy.entries[1]!.texts = { reason: { text: 'added', salt: newTextSalt() } };
    expect(await failedEntries(legacy)).toEqual([1]);
  });
});
