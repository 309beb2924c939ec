import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditRefsOf, committableText, normaliseAction, normaliseId, toAuditDraft } from './entry.js';
import { buildRecord } from './record.js';
import { commitText } from './texts.js';

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('toAuditDraft', () => {
  it('keeps hex digests, moves every other evidence value into a document and carries its SHA-256', () => {
    const content = 'ab'.repeat(32);
    const { draft, documents, refs } = toAuditDraft({
      actor: { kind: 'service', id: 'actioner' },
      action: 'order.issued',
      subject: { type: 'order', id: 'o-1' },
      evidence: {
        sha256: content,
        submissionId: '7d1e4c2a-0000-4000-8000-000000000001',
        bankIds: ['b1', 'b2'],
        hits: [{ bankId: 'b1', distance: 3, note: undefined }],
      },
    });
    expect(draft.evidence?.['sha256']).toBe(content);
    expect(documents.map((d) => d.name)).toEqual(['bankIds', 'hits', 'submissionId']);
    // The record says which of its digests have documents, and so which a verifier must find.
    expect(buildRecord(draft, 0).documents).toEqual(['bankIds', 'hits', 'submissionId']);
    for (const d of documents) {
      expect(d.digest).toBe(sha(d.document));
      expect(draft.evidence?.[d.name]).toBe(d.digest);
    }
    expect(documents.find((d) => d.name === 'hits')?.document).toBe('[{"bankId":"b1","distance":3}]');
    expect(refs).toEqual(
      expect.arrayContaining(['o-1', content, '7d1e4c2a-0000-4000-8000-000000000001', 'b1', 'b2']),
    );
    // The draft is a valid strict record.
    expect(() => buildRecord(draft, 0)).not.toThrow();
  });

  it('normalises ids, actions, reasons and names the strict format refuses, deterministically', () => {
    expect(normaliseId('POST /v1/media')).toBe('POST_/v1/media');
    expect(normaliseId('someone@example.org')).toBe('someone_example.org');
    expect(normaliseId('')).toBe('unknown');
    const long = normaliseId('x'.repeat(300));
    expect(long).toHaveLength(128);
    expect(long).toBe(normaliseId('x'.repeat(300)));
    expect(long).not.toBe(normaliseId('x'.repeat(301)));
    expect(normaliseAction('bank.settings-changed')).toBe('bank.settings_changed');
    expect(normaliseAction('Login')).toBe('login.done');
    // The committed text: C0 and C1 controls as spaces, bidi embeddings, overrides and isolates gone.
    expect(committableText('a\u001b[0m\r\nb\u0085c\u009b\u007f')).toBe('a [0m  b c  ');
    expect(committableText('\u202eexe.txt\u202c \u2067x\u2069\u202a\u202b\u202d\u2066\u2068')).toBe(
      'exe.txt x',
    );
    expect(committableText('\u0000\u202e\t')).toBeNull();
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const { draft, documents, texts } = toAuditDraft({
      actor: { kind: 'user', id: 'key 1' },
      role: 'Authority',
      action: 'case.note-added',
      subject: { type: 'Route', id: 'GET /v1/x' },
      reason: 'r'.repeat(1000),
      evidence: { ...many, Name: 'value', bytes: new Uint8Array([1, 2, 3]), when: new Date(0) },
      versions: { policy: 'v 1' },
    });
    const record = buildRecord(draft, 5, () => new Date(0));
    expect(record.subject).toEqual({ type: 'route', id: 'GET_/v1/x' });
    expect(record.role).toBe('authority');
    expect(Object.keys(record.evidence)).toHaveLength(16);
    expect(documents.some((d) => d.name === 'more')).toBe(true);
    // The reason is kept whole beside the record, which holds only its salted commitment (no document).
    expect(record.reason).toBeNull();
    expect(texts).toEqual([{ field: 'reason', text: 'r'.repeat(1000), salt: expect.any(String) as unknown }]);
    const salt = texts[0]?.salt ?? '';
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    expect(record.commitments).toEqual({ reason: commitText('reason', salt, 'r'.repeat(1000)) });
    expect(documents.some((d) => d.name === 'reason')).toBe(false);
    const halfPair = toAuditDraft(
      {
        actor: { kind: 'person', id: 'p-1' },
        action: 'case.dismissed',
        subject: { type: 'case', id: 'c-1' },
        reason: `${'r'.repeat(300)}\ud800\u0000`,
      },
      () => '00'.repeat(32),
    );
    expect(halfPair.texts[0]?.text).toBe(`${'r'.repeat(300)}\ufffd `);
    expect(halfPair.draft.commitments?.['reason']).toBe(
      commitText('reason', '00'.repeat(32), halfPair.texts[0]?.text ?? ''),
    );
    expect(record.versions).toEqual({ policy: 'v_1' });
    expect(JSON.stringify(documents)).not.toContain('[1,2,3]');
  });
});

describe('auditRefsOf', () => {
  it('finds again, from the record and its documents, every ref toAuditDraft gave it', () => {
    const { draft, documents, refs } = toAuditDraft({
      actor: { kind: 'person', id: 'p-1' },
      action: 'order.issued',
      subject: { type: 'order', id: 'o 1' },
      evidence: {
        sha256: 'cd'.repeat(32),
        hits: [{ bankId: 'b1', entries: ['e1', 'x'.repeat(129)] }],
        ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])),
      },
    });
    const record = buildRecord(draft, 0);
    const stored = new Map(documents.map((d) => [d.name, d.document]));
    expect(new Set(auditRefsOf(record, stored))).toEqual(new Set(refs));
    // A document gone takes only its own strings with it.
    stored.delete('hits');
    expect(auditRefsOf(record, stored)).not.toContain('e1');
    expect(auditRefsOf(record, stored)).toContain('cd'.repeat(32));
    // A record from before `documents`: only its subject id is certain.
    const { documents: _, ...older } = record;
    expect(auditRefsOf(older, stored)).toEqual([record.subject.id]);
  });
});
