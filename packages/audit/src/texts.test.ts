import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildRecord, validateRecord, type AuditRecord } from './record.js';
import { checkRecordTexts, commitText, isErasable, newTextSalt } from './texts.js';

const salt = 'ab'.repeat(32);
const record = (extra: Partial<AuditRecord> = {}): AuditRecord => ({
  ...buildRecord(
    {
      actor: { kind: 'person', id: 'p-1' },
      action: 'case.dismissed',
      subject: { type: 'case', id: 'c-1' },
      commitments: { reason: commitText('reason', salt, 'lý do') },
    },
    0,
    () => new Date(0),
  ),
  ...extra,
});

describe('text commitments', () => {
  it('are SHA-256 over the label, the field, the salt and the text', () => {
    const expected = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('mod.audit.text.v1\0reason\0'),
          Buffer.from(salt, 'hex'),
          Buffer.from('lý do'),
        ]),
      )
      .digest('hex');
    expect(commitText('reason', salt, 'lý do')).toBe(expected);
    expect(newTextSalt()).not.toBe(newTextSalt());
  });

  it('check kept texts, accept erased ones, refuse texts no commitment covers', () => {
    const r = record();
    expect(isErasable(r, 'reason')).toBe(true);
    expect(checkRecordTexts(r, { reason: { text: 'lý do', salt } })).toBeNull();
    expect(checkRecordTexts(r, { reason: { erasedAt: '2026-12-07T00:00:00.000Z' } })).toBeNull();
    expect(checkRecordTexts(r, undefined)).toBeNull();
    expect(checkRecordTexts(r, { reason: { text: 'lý do!', salt } })).toMatch(/does not match/);
    expect(checkRecordTexts(r, { reason: { text: 'lý do', salt: 'cd'.repeat(32) } })).toMatch(
      /does not match/,
    );
    expect(checkRecordTexts(r, { note: { text: 'x', salt } })).toMatch(/no commitment/);
    const legacy = record({ reason: 'kept inside' });
    delete legacy.commitments;
    expect(isErasable(legacy, 'reason')).toBe(false);
    expect(checkRecordTexts(legacy, { reason: { text: 'kept inside', salt } })).toMatch(/no commitment/);
  });

  it('make the committed field null in the record, and only fields that can be committed', () => {
    expect(() => validateRecord(record({ reason: 'also here' }))).toThrow(
      /\$\.reason: must be null when committed/,
    );
    expect(() => validateRecord(record({ commitments: { note: 'ab'.repeat(32) } }))).toThrow(/not a field/);
    expect(() => validateRecord(record({ commitments: { reason: 'xyz' } }))).toThrow(/SHA-256/);
    expect(() => validateRecord(record({ commitments: {} }))).toThrow(/non-empty/);
  });
});
