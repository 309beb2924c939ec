import { describe, expect, it } from 'vitest';
import {
  claimCase,
  defaultReviewTimings,
  dueAtFor,
  isOverdue,
  kindsInQueue,
  mayView,
  mayWork,
  queueRoleOf,
  refuseUnlessClaimer,
  refuseReveal,
  releaseCase,
  ReviewRefusalCode,
  stageOf,
  type Actor,
  type CaseView,
} from './index.js';

const now = new Date('2026-03-01T10:00:00Z');
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
const ana: Actor = { personId: 'p-ana', role: 'reviewer', tenantId: 'hotline' };
const bao: Actor = { personId: 'p-bao', role: 'reviewer', tenantId: 'hotline' };
const machine: Actor = { personId: null, role: 'reviewer', tenantId: 'hotline' };
const officer: Actor = { personId: 'p-cuc', role: 'authority', tenantId: 'mic' };
const open: CaseView = {
  kind: 'review',
  status: 'open',
  claimedBy: null,
  claimExpiresAt: null,
  assignedTenantId: null,
};
const claimedBy = (who: string, expiresAt: Date): CaseView => ({
  ...open,
  claimedBy: who,
  claimExpiresAt: expiresAt,
});

describe('stages', () => {
  it('is open without a claim, claimed with a live one, open again once it expired, decided when closed', () => {
    expect(stageOf(open, now)).toBe('open');
    expect(stageOf(claimedBy('p-ana', later(1)), now)).toBe('claimed');
    expect(stageOf(claimedBy('p-ana', now), now)).toBe('open');
    expect(stageOf({ ...claimedBy('p-ana', later(5)), status: 'closed' }, now)).toBe('decided');
  });
});

describe('queues', () => {
  it('puts review cases in the reviewers queue, confirmations and escalations in the authorities', () => {
    expect(queueRoleOf('review')).toBe('reviewer');
    expect(queueRoleOf('confirm')).toBe('authority');
    expect(queueRoleOf('escalation')).toBe('authority');
    expect(kindsInQueue('reviewer')).toEqual(['review']);
    expect(kindsInQueue('authority')).toEqual(['confirm', 'escalation']);
  });

  it('lets reviewers work review cases and authorities escalations (only their own tenant when addressed)', () => {
    expect(mayWork(open, ana)).toBe(true);
    expect(mayWork(open, officer)).toBe(false);
    expect(mayWork({ kind: 'escalation', assignedTenantId: null }, officer)).toBe(true);
    expect(mayWork({ kind: 'escalation', assignedTenantId: 'mic' }, officer)).toBe(true);
    expect(mayWork({ kind: 'escalation', assignedTenantId: 'other' }, officer)).toBe(false);
    expect(mayWork({ kind: 'escalation', assignedTenantId: null }, ana)).toBe(false);
    expect(mayWork({ kind: 'confirm', assignedTenantId: null }, officer)).toBe(false);
  });
});

describe('who looks at the media', () => {
  it('is the people of the case’s queue: reviewers for review cases, authorities for theirs', () => {
    expect(mayView(open, ana)).toBe(true);
    expect(mayView(open, officer)).toBe(false);
    expect(mayView({ kind: 'confirm', assignedTenantId: null }, officer)).toBe(true);
    expect(mayView({ kind: 'escalation', assignedTenantId: 'other' }, officer)).toBe(false);
    expect(mayView({ kind: 'escalation', assignedTenantId: null }, ana)).toBe(false);
    expect(mayView(open, { ...ana, role: 'admin' })).toBe(false);
  });
});

describe('reveals', () => {
  it('are the claimer’s alone, on an open case; confirmations, which nobody claims, their queue’s while open', () => {
    expect(refuseReveal(claimedBy('p-ana', later(5)), ana, now)).toBeNull();
    expect(refuseReveal(open, ana, now)).toMatchObject({ code: ReviewRefusalCode.NotClaimed });
    expect(refuseReveal(claimedBy('p-bao', later(5)), ana, now)).toMatchObject({
      code: ReviewRefusalCode.CaseClaimed,
    });
    expect(refuseReveal(claimedBy('p-ana', later(-1)), ana, now)).toMatchObject({
      code: ReviewRefusalCode.ClaimExpired,
    });
    expect(refuseReveal({ ...claimedBy('p-ana', later(5)), status: 'closed' }, ana, now)).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
    expect(refuseReveal(claimedBy('p-ana', later(5)), machine, now)).toMatchObject({
      code: ReviewRefusalCode.PersonRequired,
    });
    const confirm: CaseView = { ...open, kind: 'confirm' };
    expect(refuseReveal(confirm, officer, now)).toBeNull();
    expect(refuseReveal({ ...confirm, status: 'closed' }, officer, now)).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
    expect(refuseReveal(confirm, { ...officer, personId: null }, now)).toMatchObject({
      code: ReviewRefusalCode.PersonRequired,
    });
  });
});

describe('deadlines', () => {
  it('gives review and escalation cases their configured hours; confirmations follow their orders', () => {
    const t = { ...defaultReviewTimings, reviewDeadlineHours: 2, escalationDeadlineHours: 48 };
    expect(dueAtFor('review', now, t)).toEqual(later(120));
    expect(dueAtFor('escalation', now, t)).toEqual(later(48 * 60));
    expect(dueAtFor('confirm', now, t)).toBeNull();
  });

  it('is overdue from its deadline while undecided', () => {
    expect(isOverdue({ status: 'open', dueAt: later(1) }, now)).toBe(false);
    expect(isOverdue({ status: 'open', dueAt: now }, now)).toBe(true);
    expect(isOverdue({ status: 'closed', dueAt: later(-60) }, now)).toBe(false);
    expect(isOverdue({ status: 'open', dueAt: null }, now)).toBe(false);
  });
});

describe('claims', () => {
  const timings = { claimMinutes: 30 };

  it('claims an open case until the claim expires', () => {
    expect(claimCase(open, ana, now, timings)).toEqual({
      ok: true,
      claimedBy: 'p-ana',
      claimedAt: now,
      claimExpiresAt: later(30),
    });
  });

  it('renews the claimer’s own claim, takes over an expired one, and refuses another person’s live claim', () => {
    expect(claimCase(claimedBy('p-ana', later(5)), ana, now, timings)).toMatchObject({
      ok: true,
      claimExpiresAt: later(30),
    });
    expect(claimCase(claimedBy('p-ana', later(-1)), bao, now, timings)).toMatchObject({
      ok: true,
      claimedBy: 'p-bao',
    });
    expect(claimCase(claimedBy('p-ana', later(5)), bao, now, timings)).toMatchObject({
      ok: false,
      code: ReviewRefusalCode.CaseClaimed,
    });
  });

  it('refuses machines, other queues and decided cases', () => {
    expect(claimCase(open, machine, now, timings)).toMatchObject({ code: ReviewRefusalCode.PersonRequired });
    expect(claimCase(open, officer, now, timings)).toMatchObject({ code: ReviewRefusalCode.NotYourQueue });
    expect(claimCase({ ...open, status: 'closed' }, ana, now, timings)).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
  });
});

describe('release and acting as the claimer', () => {
  it('releases the holder’s live claim; with no live claim it is released already; never another’s', () => {
    expect(releaseCase(claimedBy('p-ana', later(5)), ana, now)).toEqual({ ok: true, held: true });
    expect(releaseCase(claimedBy('p-ana', later(5)), bao, now)).toMatchObject({
      code: ReviewRefusalCode.CaseClaimed,
    });
    expect(releaseCase(open, ana, now)).toEqual({ ok: true, held: false });
    expect(releaseCase(claimedBy('p-ana', later(-1)), ana, now)).toEqual({ ok: true, held: false });
    expect(releaseCase(claimedBy('p-ana', later(-1)), bao, now)).toEqual({ ok: true, held: false });
    expect(releaseCase(claimedBy('p-ana', later(5)), machine, now)).toMatchObject({
      code: ReviewRefusalCode.PersonRequired,
    });
    expect(releaseCase({ ...claimedBy('p-ana', later(5)), status: 'closed' }, ana, now)).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
  });

  it('refuses to act as the claimer without one’s own live claim', () => {
    expect(refuseUnlessClaimer(open, ana, now)).toMatchObject({ code: ReviewRefusalCode.NotClaimed });
    expect(refuseUnlessClaimer(claimedBy('p-ana', later(-1)), ana, now)).toMatchObject({
      code: ReviewRefusalCode.ClaimExpired,
    });
    expect(refuseUnlessClaimer(claimedBy('p-ana', later(-1)), bao, now)).toMatchObject({
      code: ReviewRefusalCode.NotClaimed,
    });
  });

  it('is the rule decisions use too', () => {
    expect(refuseUnlessClaimer(claimedBy('p-ana', later(5)), ana, now)).toBeNull();
    expect(
      refuseUnlessClaimer({ ...claimedBy('p-ana', later(5)), status: 'closed' }, ana, now),
    ).toMatchObject({
      code: ReviewRefusalCode.CaseClosed,
    });
  });
});
