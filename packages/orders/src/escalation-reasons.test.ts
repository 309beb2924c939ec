import { describe, expect, it } from 'vitest';
import { escalationReasonOf, escalationReasonText } from './escalation-reasons.js';
import { applyOrderCommand, type OrderClockState, type OrderCommand } from './order-machine.js';
import { H, at, fresh } from './order-clock.test-helper.js';

/** The history event (status and note) that `c` records on `s` at `now`. */
function eventOf(s: OrderClockState, c: OrderCommand, now: Date) {
  const r = applyOrderCommand(s, c, now);
  if (!r.ok) throw new Error(r.reason);
  return { status: r.event, note: r.note, state: r.state };
}

describe('escalation reasons, as codes read back from the history notes the lifecycle writes', () => {
  it('reads deadline-missed and verification-inconclusive from the escalations’ notes, and nothing else', () => {
    const deadline = eventOf(fresh(), { type: 'escalate' }, at(25));
    expect(deadline.note).toBe(`deadline ${at(24).toISOString()} missed`);
    expect(escalationReasonOf(deadline)).toBe('deadline-missed');
    const actioned = eventOf(deadline.state, { type: 'action', note: 'deadline 1 missed' }, at(26));
    expect(escalationReasonOf(actioned)).toBeNull();
    const unverified = eventOf(actioned.state, { type: 'escalate', unverified: { graceMs: 12 * H } }, at(27));
    expect(unverified.note).toBe(`verification inconclusive past ${at(24).toISOString()}`);
    expect(escalationReasonOf(unverified)).toBe('verification-inconclusive');
    // An escalation with a note no lifecycle command writes: no code, its note is shown as stored.
    expect(escalationReasonOf({ status: 'escalated', note: 'escalated by hand' })).toBeNull();
    expect(escalationReasonOf({ status: 'escalated', note: null })).toBeNull();
  });

  it('has each reason in Vietnamese (the default) and English', () => {
    expect(escalationReasonText('deadline-missed')).toBe('Quá thời hạn mà bên nhận chưa xử lý lệnh');
    expect(escalationReasonText('verification-inconclusive', 'en')).toBe('verification inconclusive');
  });
});
