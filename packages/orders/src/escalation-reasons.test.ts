import { describe, expect, it } from 'vitest';
import { escalationReasonText } from './escalation-reasons.js';
import { applyOrderCommand, type OrderClockState, type OrderCommand } from './order-machine.js';
import { H, at, fresh } from './order-clock.test-helper.js';

/** The history event (status, note and reason) that `c` records on `s` at `now`. */
function eventOf(s: OrderClockState, c: OrderCommand, now: Date) {
  const r = applyOrderCommand(s, c, now);
  if (!r.ok) throw new Error(r.reason);
  return { status: r.event, note: r.note, reason: r.escalationReason, state: r.state };
}

const refused = (s: OrderClockState, c: OrderCommand, now: Date) => applyOrderCommand(s, c, now).ok === false;

describe('escalation reasons, as codes the lifecycle records with its escalations', () => {
  it('records deadline-missed and verification-inconclusive with the escalations, and nothing else', () => {
    const deadline = eventOf(fresh(), { type: 'escalate' }, at(25));
    expect(deadline.note).toBe(`deadline ${at(24).toISOString()} missed`);
    expect(deadline.reason).toBe('deadline-missed');
    expect(deadline.state.escalationReason).toBe('deadline-missed');
    const actioned = eventOf(deadline.state, { type: 'action', note: 'deadline 1 missed' }, at(26));
    expect(actioned.reason).toBeUndefined();
    const unverified = eventOf(actioned.state, { type: 'escalate', unverified: { graceMs: 12 * H } }, at(27));
    expect(unverified.note).toBe(`verification inconclusive past ${at(24).toISOString()}`);
    expect(unverified.reason).toBe('verification-inconclusive');
    expect(unverified.state.escalationReason).toBe('verification-inconclusive');
  });

  it('escalates again, once, an order escalated as unverifiable whose content is then found still there', () => {
    const actioned = eventOf(fresh(), { type: 'action', note: 'removed' }, at(20));
    const unverified = eventOf(actioned.state, { type: 'escalate', unverified: { graceMs: 2 * H } }, at(27));
    const reopened = eventOf(unverified.state, { type: 'reopen', reason: 'still served' }, at(28));
    const again = eventOf(reopened.state, { type: 'escalate' }, at(28));
    expect(again.reason).toBe('deadline-missed');
    expect(again.state.escalatedAt).toEqual(at(28));
    expect(refused(again.state, { type: 'escalate' }, at(29))).toBe(true);
    // Actioned and found still there again: the authority knows it already.
    const reactioned = eventOf(again.state, { type: 'action', note: 'removed' }, at(30));
    const reopenedAgain = eventOf(reactioned.state, { type: 'reopen', reason: 'still served' }, at(31));
    expect(refused(reopenedAgain.state, { type: 'escalate' }, at(31))).toBe(true);
    // An extension clears the escalation and its reason.
    const extended = eventOf(again.state, { type: 'extend', reason: 'more time', byMs: 48 * H }, at(29));
    expect(extended.state).toMatchObject({ escalatedAt: null, escalationReason: null });
  });

  it('has each reason in Vietnamese (the default) and English', () => {
    expect(escalationReasonText('deadline-missed')).toBe('Quá thời hạn mà bên nhận chưa xử lý lệnh');
    expect(escalationReasonText('verification-inconclusive', 'en')).toBe('verification inconclusive');
  });
});
