import { describe, expect, it } from 'vitest';
import {
  applyOrderCommandUnderFolding,
  foldShortensDeadline,
  FOLDED_REQUEST_REFUSAL,
  type FoldingPosition,
} from './order-folding.js';
import { applyOrderCommand, type OrderCommand, type OrderStatus } from './order-machine.js';
import { at, fresh } from './order-clock.test-helper.js';

const ownOrder: FoldingPosition = { folded: false, bindingDeadline: null };
const sharedBoundAt = (hours: number): FoldingPosition => ({ folded: false, bindingDeadline: at(hours) });
const foldedInto = (sharedStatus: OrderStatus | null): FoldingPosition => ({ folded: true, sharedStatus });
/** `command` on a fresh order an hour after it was issued, from `position`. */
const atHourOne = (command: OrderCommand, position: FoldingPosition) =>
  applyOrderCommandUnderFolding(fresh(), command, at(1), position);

describe('commands under the folding rules', () => {
  it('applies the machine unchanged to an order with no request folded into it', () => {
    const state = fresh();
    for (const command of [
      { type: 'pause', reason: 'clarification' },
      { type: 'extend', deadlineAt: at(72), reason: 'more time' },
      { type: 'acknowledge' },
    ] as const)
      expect(applyOrderCommandUnderFolding(state, command, at(1), ownOrder)).toEqual(
        applyOrderCommand(state, command, at(1)),
      );
  });

  it('lets a folded request take only withdrawal', () => {
    const position = foldedInto('acknowledged');
    expect(atHourOne({ type: 'acknowledge' }, position)).toEqual({
      ok: false,
      reason: FOLDED_REQUEST_REFUSAL,
      code: 'folded',
    });
    const withdrawn = atHourOne({ type: 'withdraw', reason: 'resolved' }, position);
    expect(withdrawn).toMatchObject({ ok: true, event: 'withdrawn', note: 'resolved' });
    expect(withdrawn.ok && withdrawn.state.status).toBe('withdrawn');
  });

  it('refuses to withdraw a folded request once its shared order is closed, without a code', () => {
    const result = atHourOne({ type: 'withdraw', reason: 'late' }, foldedInto('verified'));
    expect(result).toEqual({ ok: false, reason: 'order is verified' });
  });

  it('lets the machine answer a folded request already withdrawn', () => {
    const withdrawn = { ...fresh(), status: 'withdrawn' as const, closedAt: at(1) };
    const result = applyOrderCommandUnderFolding(
      withdrawn,
      { type: 'withdraw', reason: 'again' },
      at(2),
      foldedInto('verified'),
    );
    expect(result).toEqual({ ok: false, reason: 'order is withdrawn' });
  });

  it('refuses to pause a shared order whose clock a folded request binds', () => {
    const result = atHourOne({ type: 'pause', reason: 'clarification' }, sharedBoundAt(12));
    expect(result).toMatchObject({ ok: false, code: 'bound' });
  });

  it('extends a shared order up to the binding deadline, never past it', () => {
    const position = sharedBoundAt(36);
    expect(atHourOne({ type: 'extend', deadlineAt: at(36), reason: 'up to it' }, position)).toMatchObject({
      ok: true,
      event: 'deadline-extended',
    });
    const past = atHourOne({ type: 'extend', deadlineAt: at(37), reason: 'past it' }, position);
    expect(past).toMatchObject({ ok: false, code: 'bound' });
    expect(!past.ok && past.reason).toContain(at(36).toISOString());
    // By hours: from the deadline the order has when the command applies (24 h here).
    const byHours = atHourOne({ type: 'extend', byMs: 12 * 3_600_000, reason: 'by hours' }, position);
    expect(byHours.ok && byHours.state.deadlineAt).toEqual(at(36));
    const byMore = atHourOne({ type: 'extend', byMs: 13 * 3_600_000, reason: 'by more' }, position);
    expect(byMore).toMatchObject({ ok: false, code: 'bound' });
  });

  it('resumes a shared order with its deadline moved on by the pause, but no further than the binding deadline', () => {
    // Paused for 10 h before a request bound the clock (a request folding in cannot pause it; it can bind it).
    const paused = { ...fresh(), pausedAt: at(1) };
    const unbound = applyOrderCommandUnderFolding(paused, { type: 'resume' }, at(11), ownOrder);
    expect(unbound.ok && unbound.state.deadlineAt).toEqual(at(34));
    const bound = applyOrderCommandUnderFolding(paused, { type: 'resume' }, at(11), sharedBoundAt(30));
    expect(bound.ok && bound.state.deadlineAt).toEqual(at(30));
    expect(bound.ok && bound.state.pausedAt).toBeNull();
    const loose = applyOrderCommandUnderFolding(paused, { type: 'resume' }, at(11), sharedBoundAt(40));
    expect(loose.ok && loose.state.deadlineAt).toEqual(at(34));
  });

  it('passes the machine’s refusals through without a code', () => {
    const result = atHourOne({ type: 'verify', note: 'gone' }, sharedBoundAt(30));
    expect(result).toEqual({ ok: false, reason: 'cannot verify an order that is issued' });
  });
});

describe('a request folding into a shared order', () => {
  it('moves the shared deadline only when its own is earlier', () => {
    expect(foldShortensDeadline(at(12), at(24))).toBe(true);
    expect(foldShortensDeadline(at(24), at(24))).toBe(false);
    expect(foldShortensDeadline(at(36), at(24))).toBe(false);
  });
});
