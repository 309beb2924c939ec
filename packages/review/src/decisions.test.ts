import { describe, expect, it } from 'vitest';
import {
  checkReason,
  decideCase,
  defaultReviewTimings,
  MAX_REASON_CHARS,
  ReviewRefusalCode,
  type Actor,
  type CaseView,
  type DecisionInput,
} from './index.js';

const now = new Date('2026-03-01T10:00:00Z');
const inFive = new Date(now.getTime() + 5 * 60_000);
const ana: Actor = { personId: 'p-ana', role: 'reviewer', tenantId: 'hotline' };
const officer: Actor = { personId: 'p-cuc', role: 'authority', tenantId: 'mic' };
const review: CaseView = {
  kind: 'review',
  status: 'open',
  claimedBy: 'p-ana',
  claimExpiresAt: inFive,
  assignedTenantId: null,
};
const escalation: CaseView = { ...review, kind: 'escalation', claimedBy: 'p-cuc', assignedTenantId: 'mic' };
const timings = { ...defaultReviewTimings, escalationDeadlineHours: 12 };
const decide = (input: DecisionInput, c: CaseView = review, actor: Actor = ana) =>
  decideCase(c, actor, input, now, timings);

describe('confirm', () => {
  it('issues orders by policy in the category and opens the authority confirmation case', () => {
    expect(decide({ decision: 'confirm', category: 'B', reason: '  clearly abusive  ' })).toEqual({
      ok: true,
      decision: 'confirm',
      category: 'B',
      reason: 'clearly abusive',
      decidedBy: 'p-ana',
      decidedAt: now,
      effects: {
        issueOrders: { category: 'B', issuer: { kind: 'policy' } },
        openConfirmCase: true,
        escalation: null,
        proposal: null,
      },
    });
  });

  it('by an authority on its escalation issues the orders in its own name, with no confirmation case', () => {
    const d = decide({ decision: 'confirm', category: 'A', reason: 'confirmed' }, escalation, officer);
    expect(d).toMatchObject({
      ok: true,
      effects: {
        issueOrders: { category: 'A', issuer: { kind: 'authority', tenantId: 'mic' } },
        openConfirmCase: false,
      },
    });
  });

  it('needs a category, and may propose the content for a bank', () => {
    expect(decide({ decision: 'confirm', reason: 'x' })).toMatchObject({
      code: ReviewRefusalCode.CategoryRequired,
    });
    expect(
      decide({
        decision: 'confirm',
        category: 'C',
        reason: 'x',
        proposeToBankId: 'bank-1',
        proposalNote: ' n ',
      }),
    ).toMatchObject({ effects: { proposal: { bankId: 'bank-1', note: 'n' } } });
  });
});

describe('dismiss', () => {
  it('leads to nothing but an optional negative-bank proposal', () => {
    expect(decide({ decision: 'dismiss', reason: 'a beach photo' })).toMatchObject({
      ok: true,
      category: null,
      effects: { issueOrders: null, openConfirmCase: false, escalation: null, proposal: null },
    });
    expect(
      decide({ decision: 'dismiss', reason: 'benign', proposeToBankId: 'negatives', proposalNote: '  ' }),
    ).toMatchObject({ effects: { proposal: { bankId: 'negatives', note: null } } });
  });

  it('carries no category', () => {
    expect(decide({ decision: 'dismiss', category: 'A', reason: 'x' })).toMatchObject({
      code: ReviewRefusalCode.CategoryNotAllowed,
    });
  });
});

describe('escalate', () => {
  it('opens an authority case, addressed or for any authority, due after the escalation deadline', () => {
    expect(decide({ decision: 'escalate', reason: 'unsure', authorityTenantId: 'mic' })).toMatchObject({
      ok: true,
      effects: {
        issueOrders: null,
        escalation: { authorityTenantId: 'mic', dueAt: new Date(now.getTime() + 12 * 3_600_000) },
      },
    });
    expect(decide({ decision: 'escalate', reason: 'unsure' })).toMatchObject({
      effects: { escalation: { authorityTenantId: null } },
    });
  });

  it('proposes nothing, and an escalation is not escalated again', () => {
    expect(decide({ decision: 'escalate', reason: 'x', proposeToBankId: 'b' })).toMatchObject({
      code: ReviewRefusalCode.FieldNotAllowed,
    });
    expect(decide({ decision: 'escalate', reason: 'x' }, escalation, officer)).toMatchObject({
      code: ReviewRefusalCode.DecisionNotAllowed,
    });
  });
});

describe('fields that do not fit', () => {
  it('refuses a target on anything but an escalation and a note without a proposal', () => {
    expect(decide({ decision: 'dismiss', reason: 'x', authorityTenantId: 'mic' })).toMatchObject({
      code: ReviewRefusalCode.FieldNotAllowed,
    });
    expect(decide({ decision: 'dismiss', reason: 'x', proposalNote: 'n' })).toMatchObject({
      code: ReviewRefusalCode.FieldNotAllowed,
    });
  });
});

describe('who decides', () => {
  it('needs the live claim of the deciding person', () => {
    const bao: Actor = { ...ana, personId: 'p-bao' };
    expect(decide({ decision: 'dismiss', reason: 'x' }, review, bao)).toMatchObject({
      code: ReviewRefusalCode.CaseClaimed,
    });
    expect(decide({ decision: 'dismiss', reason: 'x' }, { ...review, claimExpiresAt: now })).toMatchObject({
      code: ReviewRefusalCode.ClaimExpired,
    });
    expect(decide({ decision: 'dismiss', reason: 'x' }, { ...review, claimedBy: null })).toMatchObject({
      code: ReviewRefusalCode.NotClaimed,
    });
    expect(decide({ decision: 'dismiss', reason: 'x' }, review, { ...ana, personId: null })).toMatchObject({
      code: ReviewRefusalCode.PersonRequired,
    });
  });

  it('refuses decided cases and confirmation cases (they close through their orders)', () => {
    expect(decide({ decision: 'dismiss', reason: 'x' }, { ...review, status: 'closed' })).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
    expect(
      decide(
        { decision: 'dismiss', reason: 'x' },
        { ...review, kind: 'confirm', claimedBy: 'p-cuc' },
        officer,
      ),
    ).toMatchObject({ code: ReviewRefusalCode.NotYourQueue });
  });
});

describe('reasons', () => {
  it('are trimmed, required, bounded and free of control characters', () => {
    expect(checkReason(' ok ')).toBe('ok');
    for (const bad of ['', '   ', 'a\u0007b', 'x'.repeat(MAX_REASON_CHARS + 1)])
      expect(checkReason(bad)).toMatchObject({ code: ReviewRefusalCode.ReasonInvalid });
    expect(checkReason('đ'.repeat(MAX_REASON_CHARS))).toBe('đ'.repeat(MAX_REASON_CHARS));
    expect(decide({ decision: 'dismiss', reason: ' ' })).toMatchObject({
      code: ReviewRefusalCode.ReasonInvalid,
    });
  });

  it('hold no C1 control (an 8-bit CSI) nor the bidi overrides and isolates that make them read otherwise', () => {
    // "dismissed: benign" shown to the authority, the audit log holding the reverse.
    for (const bad of [
      'a\u009b31mb',
      'a\u0085b',
      'ok \u202ederise',
      '\u202a\u202b\u202c\u202d',
      'x\u2066y\u2069',
    ])
      expect(checkReason(bad)).toMatchObject({ code: ReviewRefusalCode.ReasonInvalid });
    // Vietnamese with combining marks, emoji and their joiners stay accepted.
    for (const good of ['Tiếng Việt', 'Tie\u0302\u0301ng', '👩\u200d👧 ok', 'a\u200fb'])
      expect(checkReason(good)).toBe(good);
  });
});
