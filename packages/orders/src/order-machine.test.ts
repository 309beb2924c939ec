import { describe, expect, it } from 'vitest';
import {
  applyOrderCommand,
  dueOrderCommands,
  isOverdue,
  nextNoticeAfter,
  unverifiedEscalationAt,
  type OrderClockState,
  type OrderCommand,
} from './order-machine.js';
import { H, at, fresh } from './order-clock.test-helper.js';

function run(s: OrderClockState, c: OrderCommand, now: Date): OrderClockState {
  const r = applyOrderCommand(s, c, now);
  if (!r.ok) throw new Error(r.reason);
  return r.state;
}

describe('order lifecycle', () => {
  it('goes issued → delivered → acknowledged → actioned → verified and then accepts nothing', () => {
    let s = run(fresh(), { type: 'deliver' }, at(0.1));
    s = run(s, { type: 'acknowledge' }, at(1));
    s = run(s, { type: 'action', note: 'removed' }, at(3));
    expect(s).toMatchObject({ status: 'actioned', nextNoticeAt: null });
    expect(s.acknowledgedAt).toEqual(at(1));
    s = run(s, { type: 'verify', note: 'gone' }, at(4));
    expect(s).toMatchObject({ status: 'verified', closedAt: at(4) });
    expect(applyOrderCommand(s, { type: 'acknowledge' }, at(5))).toEqual({
      ok: false,
      reason: 'order is verified',
    });
  });

  it('rejects transitions that do not apply and never mutates its input', () => {
    const s = fresh();
    expect(applyOrderCommand(s, { type: 'verify', note: '' }, at(1)).ok).toBe(false);
    expect(applyOrderCommand(s, { type: 'resume' }, at(1)).ok).toBe(false);
    const actioned = run(s, { type: 'action', note: 'done' }, at(1));
    expect(applyOrderCommand(actioned, { type: 'dispute', reason: 'x' }, at(2)).ok).toBe(false);
    expect(s.status).toBe('issued');
  });

  it('re-notices every interval until actioned, one notice after downtime, never while paused', () => {
    let s = fresh();
    expect(dueOrderCommands(s, at(23))).toEqual([]);
    s = run(s, { type: 'renotice' }, at(24));
    expect(s.noticesSent).toBe(2);
    expect(s.nextNoticeAt).toEqual(at(48));
    // Scheduler down for three days: one notice, and the schedule keeps its cadence.
    s = run(s, { type: 'renotice' }, at(24 * 4 + 5));
    expect(s.nextNoticeAt).toEqual(at(24 * 5));
    const paused = run(s, { type: 'pause', reason: 'clarification' }, at(24 * 4 + 6));
    expect(dueOrderCommands(paused, at(24 * 9))).toEqual([]);
    const actioned = run(s, { type: 'action', note: 'done' }, at(24 * 4 + 7));
    expect(dueOrderCommands(actioned, at(24 * 9))).toEqual([]);
    expect(nextNoticeAfter(at(0), 24 * H, at(0))).toEqual(at(24));
  });

  it('escalates a missed deadline once; extending clears it; the target may still act', () => {
    let s = run(fresh(), { type: 'acknowledge' }, at(1));
    expect(isOverdue(s, at(23.9))).toBe(false);
    expect(dueOrderCommands(s, at(24))).toEqual([{ type: 'escalate' }, { type: 'renotice' }]);
    s = run(s, { type: 'escalate' }, at(24));
    expect(s.escalatedAt).toEqual(at(24));
    expect(applyOrderCommand(s, { type: 'escalate' }, at(25)).ok).toBe(false);
    const extended = run(s, { type: 'extend', deadlineAt: at(48), reason: 'more time' }, at(25));
    expect(extended).toMatchObject({ escalatedAt: null, deadlineAt: at(48) });
    expect(applyOrderCommand(extended, { type: 'extend', deadlineAt: at(30), reason: '' }, at(26)).ok).toBe(
      false,
    );
    expect(run(s, { type: 'action', note: 'late' }, at(26)).status).toBe('actioned');
  });

  it('pausing stops the clock: resume moves the deadline and the next notice by the paused time', () => {
    let s = run(fresh(), { type: 'pause', reason: 'awaiting clarification' }, at(10));
    expect(isOverdue(s, at(100))).toBe(false);
    expect(applyOrderCommand(s, { type: 'pause', reason: '' }, at(11)).ok).toBe(false);
    s = run(s, { type: 'resume' }, at(40));
    expect(s.deadlineAt).toEqual(at(54));
    expect(s.nextNoticeAt).toEqual(at(54));
    expect(s.pausedAt).toBeNull();
  });

  it('a dispute returns to acknowledged or actioned; verification failure reopens with a notice due now', () => {
    let s = run(fresh(), { type: 'dispute', reason: 'not our content' }, at(2));
    expect(dueOrderCommands(s, at(25))).toEqual([{ type: 'escalate' }]);
    s = run(s, { type: 'acknowledge' }, at(3));
    s = run(s, { type: 'action', note: 'removed' }, at(4));
    s = run(s, { type: 'reopen', reason: 'still served' }, at(5));
    expect(s).toMatchObject({ status: 'reopened', verificationFailures: 1, nextNoticeAt: at(5) });
    expect(dueOrderCommands(s, at(5))).toEqual([{ type: 'renotice' }]);
    expect(run(s, { type: 'withdraw', reason: 'court order' }, at(6)).status).toBe('withdrawn');
  });
  it('a reported failure reopens the order (needs action again), from before or after the action', () => {
    // Before any action: acknowledged implicitly, the re-notice schedule goes on as it was.
    let s = run(fresh(), { type: 'deliver' }, at(0.1));
    const failed = applyOrderCommand(s, { type: 'report-failure', reason: 'zone rejected' }, at(1));
    expect(failed).toMatchObject({ ok: true, event: 'action-failed', note: 'zone rejected' });
    s = run(s, { type: 'report-failure', reason: 'zone rejected' }, at(1));
    expect(s).toMatchObject({ status: 'reopened', acknowledgedAt: at(1), nextNoticeAt: at(24) });
    expect(s.verificationFailures).toBe(0);
    // A later success moves it on; a failure after the action makes a notice due now.
    s = run(s, { type: 'action', note: 'applied' }, at(2));
    expect(s).toMatchObject({ status: 'actioned', nextNoticeAt: null });
    s = run(s, { type: 'report-failure', reason: 'resolver reload failed' }, at(3));
    expect(s).toMatchObject({ status: 'reopened', nextNoticeAt: at(3), actionedAt: at(2) });
    expect(dueOrderCommands(s, at(3))).toEqual([{ type: 'renotice' }]);
    // A failure report on a reopened order is another report (the machine allows it; callers dedupe).
    expect(run(s, { type: 'report-failure', reason: 'again' }, at(4)).status).toBe('reopened');
    // Not while disputed, and never once closed.
    const disputed = run(fresh(), { type: 'dispute', reason: 'not ours' }, at(1));
    expect(applyOrderCommand(disputed, { type: 'report-failure', reason: 'x' }, at(2))).toEqual({
      ok: false,
      reason: 'cannot report a failed action on an order that is disputed',
    });
    const withdrawn = run(fresh(), { type: 'withdraw', reason: 'error' }, at(1));
    expect(applyOrderCommand(withdrawn, { type: 'report-failure', reason: 'x' }, at(2)).ok).toBe(false);
  });

  it('an actioned order whose verification stays inconclusive escalates past its deadline (+ grace if in time), once', () => {
    const unverified = { type: 'escalate', unverified: { graceMs: 12 * H } } as const;
    // Actioned in time: due at deadline + grace; the missed-deadline escalation never applies to it.
    const inTime = run(fresh(), { type: 'action', note: 'removed' }, at(2));
    expect(unverifiedEscalationAt(inTime, 12 * H)).toEqual(at(36));
    expect(applyOrderCommand(inTime, unverified, at(35.9)).ok).toBe(false);
    expect(applyOrderCommand(inTime, { type: 'escalate' }, at(100)).ok).toBe(false);
    const escalated = run(inTime, unverified, at(36));
    expect(escalated).toMatchObject({ status: 'actioned', escalatedAt: at(36) });
    expect(applyOrderCommand(inTime, unverified, at(36))).toMatchObject({ event: 'escalated' });
    expect(applyOrderCommand(escalated, unverified, at(60)).ok).toBe(false);
    // Actioned late, after the deadline's own escalation: due at once, a second time (the first told nothing of it).
    const late = run(run(fresh(), { type: 'escalate' }, at(24)), { type: 'action', note: 'removed' }, at(30));
    expect(unverifiedEscalationAt(late, 12 * H)).toEqual(at(24));
    expect(run(late, unverified, at(30)).escalatedAt).toEqual(at(30));
    // Not while it owes the action (the deadline's escalation is for that), nor paused.
    expect(unverifiedEscalationAt(fresh(), 12 * H)).toBeNull();
    const paused = run(
      run(fresh(), { type: 'pause', reason: 'clarify' }, at(1)),
      { type: 'action', note: 'x' },
      at(2),
    );
    expect(unverifiedEscalationAt(paused, 12 * H)).toBeNull();
  });
});
