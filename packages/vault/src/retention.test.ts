import { describe, expect, it } from 'vitest';
import type { EvidenceItem } from './evidence.js';
import { evidenceState } from './evidence.js';
import { releaseHoldRefusal, setHoldRefusal, type HoldRequest } from './legal-hold.js';
import { destructionDue, destructionDueAt, destructionRule } from './retention.js';

const item = (over: Partial<EvidenceItem> = {}): EvidenceItem => ({
  id: '00000000-0000-4000-8000-000000000001',
  tenantId: 'platform-a',
  submissionId: '00000000-0000-4000-8000-000000000002',
  sha256: 'a'.repeat(64),
  mediaType: 'image/jpeg',
  sizeBytes: 10,
  reason: 'classifier',
  masterKeyId: 'mk1-000000000000000000000000',
  createdAt: '2026-01-01T00:00:00.000Z',
  caseId: null,
  linkedAt: null,
  caseClosedAt: null,
  legalHold: null,
  destroyedAt: null,
  ...over,
});
const policy = { afterCaseClosedHours: 48, unlinkedHours: 6 };
const hold = {
  by: 'k',
  authorityTenantId: 'authority-a',
  reason: 'investigation',
  at: '2026-01-01T01:00:00.000Z',
};
const request = (authorityTenantId: string, mayOverride = false): HoldRequest => ({
  by: { actor: { kind: 'user', id: 'k' }, role: 'authority', tenantId: authorityTenantId },
  authorityTenantId,
  mayOverride,
  reason: 'r',
  at: new Date(),
});

describe('retention', () => {
  it.each<[string, Partial<EvidenceItem>, string | null]>([
    ['unlinked: from when it was kept', {}, '2026-01-01T06:00:00.000Z'],
    ['in an open case: never', { caseId: 'c' }, null],
    [
      'case closed: from the closing',
      { caseId: 'c', caseClosedAt: '2026-02-01T00:00:00.000Z' },
      '2026-02-03T00:00:00.000Z',
    ],
    ['under legal hold: never', { legalHold: hold }, null],
    [
      'closed but held: never',
      { caseId: 'c', caseClosedAt: '2026-02-01T00:00:00.000Z', legalHold: hold },
      null,
    ],
    ['destroyed: never again', { destroyedAt: '2026-01-02T00:00:00.000Z' }, null],
  ])('%s', (_what, over, due) => {
    expect(destructionDueAt(item(over), policy)?.toISOString() ?? null).toBe(due);
  });

  it('is due at the instant, not before', () => {
    expect(destructionDue(item(), policy, new Date('2026-01-01T05:59:59.999Z'))).toBe(false);
    expect(destructionDue(item(), policy, new Date('2026-01-01T06:00:00.000Z'))).toBe(true);
    expect(destructionRule(item(), policy)).toBe('no case named it within 6 h of 2026-01-01T00:00:00.000Z');
  });

  it('states', () => {
    expect(evidenceState(item())).toBe('unlinked');
    expect(evidenceState(item({ caseId: 'c' }))).toBe('in-case');
    expect(evidenceState(item({ caseId: 'c', caseClosedAt: 'x' }))).toBe('case-closed');
    expect(evidenceState(item({ caseId: 'c', legalHold: hold }))).toBe('legal-hold');
    expect(evidenceState(item({ destroyedAt: 'x' }))).toBe('destroyed');
  });
});

describe('legal hold rules', () => {
  it('set: not on destroyed evidence, not over another authority; renewing its own is allowed', () => {
    expect(setHoldRefusal(null, request('authority-a'))).toBe('not-found');
    expect(setHoldRefusal(item({ destroyedAt: 'x' }), request('authority-a'))).toBe('destroyed');
    expect(setHoldRefusal(item({ legalHold: hold }), request('authority-b'))).toBe(
      'held-by-another-authority',
    );
    expect(setHoldRefusal(item({ legalHold: hold }), request('authority-b', true))).toBe(
      'held-by-another-authority',
    );
    expect(setHoldRefusal(item({ legalHold: hold }), request('authority-a'))).toBeNull();
    expect(setHoldRefusal(item(), request('authority-b'))).toBeNull();
  });

  it('release: only the holding authority, or an admin', () => {
    expect(releaseHoldRefusal(item(), request('authority-a'))).toBe('not-held');
    expect(releaseHoldRefusal(item({ legalHold: hold }), request('authority-b'))).toBe(
      'held-by-another-authority',
    );
    expect(releaseHoldRefusal(item({ legalHold: hold }), request('ops', true))).toBeNull();
    expect(releaseHoldRefusal(item({ legalHold: hold }), request('authority-a'))).toBeNull();
  });
});
