import { describe, expect, it } from 'vitest';
import { InvalidRecordError } from './errors.js';
import { hashLeaf } from './merkle.js';
import { buildRecord, decodeRecord, encodeRecord, validateRecord } from './record.js';
import type { AuditRecord, AuditRecordDraft } from './record.js';
import { codeOf } from './code-of.test-helper.js';

const draft: AuditRecordDraft = {
  actor: { kind: 'user', id: 'usr_7f3a' },
  role: 'authority',
  tenantId: 'tn_vn_mic',
  action: 'order.created',
  subject: { type: 'order', id: 'ord_01HX' },
  reason: 'CSAM category A, bank iwf-2024-05',
  evidence: { sha256: 'a'.repeat(64), pdq: 'f0'.repeat(32) },
  versions: { policy: '7', model: 'nsfw-2024.05' },
};
const at = (): Date => new Date('2025-01-02T03:04:05.678Z');

describe('audit records', () => {
  it('builds, encodes and decodes to the same bytes and leaf hash', () => {
    const record = buildRecord(draft, 42, at);
    expect(record.time).toBe('2025-01-02T03:04:05.678Z');
    const encoded = encodeRecord(record);
    expect(
      encoded.canonical.startsWith('{"action":"order.created","actor":{"id":"usr_7f3a","kind":"user"}'),
    ).toBe(true);
    expect(encoded.leafHash.equals(hashLeaf(Buffer.from(encoded.canonical, 'utf8')))).toBe(true);
    const decoded = decodeRecord(encoded.canonical);
    expect(decoded.record).toEqual(record);
    expect(decoded.leafHash.equals(encoded.leafHash)).toBe(true);
  });

  it('fills absent optional fields with null and empty maps', () => {
    const record = buildRecord(
      {
        actor: { kind: 'service', id: 'scanner' },
        action: 'verdict.recorded',
        subject: { type: 'content', id: 'c1' },
      },
      0,
      at,
    );
    expect(record).toMatchObject({ role: null, tenantId: null, reason: null, evidence: {}, versions: {} });
  });

  const valid = (): Record<string, unknown> => ({ ...buildRecord(draft, 1, at) });
  it.each<[string, (r: Record<string, unknown>) => void, string]>([
    ['an unknown field (media, personal data)', (r) => (r.image = 'x'), '$.image: unknown field'],
    ['a missing field', (r) => delete r.reason, '$.reason: missing'],
    ['a negative seq', (r) => (r.seq = -1), '$.seq'],
    ['a non-UTC time', (r) => (r.time = '2025-01-02T03:04:05+07:00'), '$.time'],
    ['an impossible date', (r) => (r.time = '2025-02-30T03:04:05.678Z'), '$.time'],
    ['an unknown actor kind', (r) => (r.actor = { kind: 'robot', id: 'x' }), '$.actor.kind'],
    ['an e-mail as actor id', (r) => (r.actor = { kind: 'user', id: 'jane@example.org' }), '$.actor.id'],
    ['a free-text action', (r) => (r.action = 'Order Created'), '$.action'],
    ['long free text', (r) => (r.reason = 'x'.repeat(281)), '$.reason'],
    ['control characters in reason', (r) => (r.reason = 'a\nb'), '$.reason'],
    ['a non-hex digest', (r) => (r.evidence = { sha256: 'zz'.repeat(32) }), '$.evidence.sha256'],
    ['raw bytes as evidence', (r) => (r.evidence = { img: new Uint8Array(64) }), '$.evidence'],
    [
      'an oversized "digest" (media in hex)',
      (r) => (r.evidence = { blob: 'ab'.repeat(1000) }),
      '$.evidence.blob',
    ],
    ['a numeric version', (r) => (r.versions = { policy: 7 }), '$.versions.policy'],
    ['a document the evidence does not name', (r) => (r.documents = ['hits']), '$.documents[0]'],
    ['documents out of order', (r) => (r.documents = ['sha256', 'pdq']), '$.documents[1]'],
    ['a document named twice', (r) => (r.documents = ['pdq', 'pdq']), '$.documents[1]'],
    ['an empty list of documents', (r) => (r.documents = []), '$.documents'],
    ['documents that are no list', (r) => (r.documents = 'pdq'), '$.documents'],
  ])('rejects %s', (_, mutate, problem) => {
    const r = valid();
    mutate(r);
    let error: unknown;
    try {
      validateRecord(r);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect((error as InvalidRecordError).code).toBe('MOD_ERR_AUDIT_INVALID_RECORD');
    expect((error as InvalidRecordError).problems.join('\n')).toContain(problem);
  });

  it('names the digests that have documents, ascending, in the hashed bytes; none, no field', () => {
    const withDocuments = buildRecord({ ...draft, documents: ['sha256', 'pdq', 'sha256'] }, 7, at);
    expect(withDocuments.documents).toEqual(['pdq', 'sha256']);
    const encoded = encodeRecord(withDocuments);
    expect(encoded.canonical).toContain('"documents":["pdq","sha256"]');
    expect(decodeRecord(encoded.canonical).record).toEqual(withDocuments);
    // Dropping the list changes the leaf: what must have a document cannot be rewritten unseen.
    const { documents: _dropped, ...without } = withDocuments;
    expect(encodeRecord(without).leafHash.equals(encoded.leafHash)).toBe(false);
    // A record with no document has no field, byte for byte as records were before it existed (they still verify).
    const bare = encodeRecord(buildRecord({ ...draft, documents: [] }, 7, at));
    expect(bare.canonical).not.toContain('documents');
    expect(bare.canonical).toBe(encodeRecord(buildRecord(draft, 7, at)).canonical);
  });

  it('lists every problem at once', () => {
    const r = { ...valid(), seq: 1.5, action: 'X' } as unknown as AuditRecord;
    expect(() => validateRecord(r)).toThrow(/\$\.seq.*\$\.action/);
  });

  it('refuses non-canonical text when decoding', () => {
    const canonical = encodeRecord(buildRecord(draft, 3, at)).canonical;
    expect(codeOf(() => decodeRecord(canonical.replace('{', '{ ')))).toBe('MOD_ERR_AUDIT_NOT_CANONICAL');
  });
});
