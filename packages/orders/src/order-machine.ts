/**
 * The order lifecycle as a pure state machine over plain data (no I/O): every writer (API responses, the
 * actioner's scheduler and verifier) goes through `applyOrderCommand`, so the rules live in one place.
 *
 *   issued → delivered → acknowledged → actioned → verified
 *   (issued | delivered | acknowledged | reopened) → disputed → (acknowledged | actioned)
 *   actioned → reopened (verification failed: the content is still there) → actioned …
 *   (issued | delivered | acknowledged | reopened | actioned) → reopened (the target reports its action failed,
 *     e.g. an ISP could not apply a block: the action is owed again and known not to be in effect) → actioned …
 *   any open status → withdrawn (by an authority)
 *
 * The clock is orthogonal to the status: a paused order (awaiting clarification) gets no re-notices and cannot
 * become overdue; resuming moves the deadline and the next re-notice on by the time spent paused. Missing the
 * deadline escalates once (to the issuing authority); extending the deadline clears the escalation.
 */

import { escalationNote, type EscalationReason } from './escalation-reasons.js';

export const OrderStatuses = [
  'issued',
  'delivered',
  'acknowledged',
  'actioned',
  'verified',
  'disputed',
  'reopened',
  'withdrawn',
] as const;
export type OrderStatus = (typeof OrderStatuses)[number];

/** Statuses after which nothing more happens; every other status is open. */
export const ClosedOrderStatuses: readonly OrderStatus[] = ['verified', 'withdrawn'];

/** Statuses in which the target still owes an action: re-notices run and the deadline can be missed. */
export const AwaitingTargetStatuses: readonly OrderStatus[] = [
  'issued',
  'delivered',
  'acknowledged',
  'reopened',
];
const AWAITING_TARGET = AwaitingTargetStatuses;

/** The part of an order the lifecycle reads and writes. Times are absolute (ms precision). */
export interface OrderClockState {
  status: OrderStatus;
  issuedAt: Date;
  deadlineAt: Date;
  renoticeIntervalMs: number;
  nextNoticeAt: Date | null;
  noticesSent: number;
  pausedAt: Date | null;
  escalatedAt: Date | null;
  /** Why the order was last escalated (with `escalatedAt`; null when it is not escalated). */
  escalationReason: EscalationReason | null;
  confirmedAt: Date | null;
  deliveredAt: Date | null;
  acknowledgedAt: Date | null;
  actionedAt: Date | null;
  verifiedAt: Date | null;
  closedAt: Date | null;
  verificationFailures: number;
}

/** Something that happens to an order; `by` says who may do it (checked by callers through `commandActor`). */
export type OrderCommand =
  | { type: 'deliver' }
  | { type: 'acknowledge' }
  | { type: 'action'; note: string }
  | { type: 'report-failure'; reason: string }
  | { type: 'dispute'; reason: string }
  | { type: 'verify'; note: string }
  | { type: 'reopen'; reason: string }
  | { type: 'withdraw'; reason: string }
  | { type: 'confirm' }
  /** To `deadlineAt`, or by `byMs` from the deadline as it stands when the command applies (under its lock). */
  | ({ type: 'extend'; reason: string } & ({ deadlineAt: Date } | { byMs: number }))
  | { type: 'pause'; reason: string }
  | { type: 'resume' }
  | { type: 'renotice' }
  /**
   * The deadline is missed; or, with `unverified`, the order is actioned and its verification still inconclusive
   * (the verifier could not reach its URL) past {@link unverifiedEscalationAt}.
   */
  | { type: 'escalate'; unverified?: { graceMs: number } };
export type OrderCommandType = OrderCommand['type'];

/** Who issues each command: the order's target, an authority, or the system (scheduler, verifier, delivery). */
export const commandActor: Readonly<Record<OrderCommandType, 'target' | 'authority' | 'system'>> = {
  deliver: 'system',
  acknowledge: 'target',
  action: 'target',
  'report-failure': 'target',
  dispute: 'target',
  verify: 'system',
  reopen: 'system',
  withdraw: 'authority',
  confirm: 'authority',
  extend: 'authority',
  pause: 'authority',
  resume: 'authority',
  renotice: 'system',
  escalate: 'system',
};

export type OrderCommandResult =
  | {
      ok: true;
      state: OrderClockState;
      /** Name recorded in the order's history (`order_events.status`): the new status or the clock event. */
      event: string;
      /** Free text recorded with the event. */
      note: string | null;
      /** An escalation's reason, recorded with its event (`order_events.escalation_reason`). */
      escalationReason?: EscalationReason;
    }
  | { ok: false; reason: string };

const isOpen = (s: OrderStatus) => !ClosedOrderStatuses.includes(s);
const reject = (reason: string): OrderCommandResult => ({ ok: false, reason });

/** Whether the deadline has passed at `now` (a paused order is never overdue). */
export function isOverdue(s: OrderClockState, now: Date): boolean {
  return s.pausedAt === null && AWAITING_TARGET.concat('disputed').includes(s.status) && now >= s.deadlineAt;
}

/**
 * Applies one command at `now`. Returns the next state and the history event, or why the command does not
 * apply in the current state (callers answer 409 / skip). Never throws.
 */
export function applyOrderCommand(s: OrderClockState, c: OrderCommand, now: Date): OrderCommandResult {
  const next: OrderClockState = { ...s };
  const ok = (event: string, note: string | null = null): OrderCommandResult => ({
    ok: true,
    state: next,
    event,
    note,
  });
  if (!isOpen(s.status)) return reject(`order is ${s.status}`);
  const move = (to: OrderStatus, from: readonly OrderStatus[]): boolean => {
    if (!from.includes(s.status)) return false;
    next.status = to;
    return true;
  };
  switch (c.type) {
    case 'deliver':
      if (s.status !== 'issued') return reject(`order is already ${s.status}`);
      next.status = 'delivered';
      next.deliveredAt = now;
      return ok('delivered');
    case 'acknowledge':
      if (!move('acknowledged', ['issued', 'delivered', 'disputed', 'reopened']))
        return reject(`cannot acknowledge an order that is ${s.status}`);
      next.acknowledgedAt = s.acknowledgedAt ?? now;
      return ok('acknowledged');
    case 'action':
      if (!move('actioned', ['issued', 'delivered', 'acknowledged', 'disputed', 'reopened']))
        return reject(`cannot report action on an order that is ${s.status}`);
      next.acknowledgedAt = s.acknowledgedAt ?? now;
      next.actionedAt = now;
      next.nextNoticeAt = null;
      return ok('actioned', c.note);
    case 'report-failure': {
      const wasActioned = s.status === 'actioned';
      if (!move('reopened', [...AWAITING_TARGET, 'actioned']))
        return reject(`cannot report a failed action on an order that is ${s.status}`);
      next.acknowledgedAt = s.acknowledgedAt ?? now;
      // Like a failed verification: the target owes the action again. After an action the re-notice clock had
      // stopped, so the next notice is due now; before one, the schedule goes on as it was.
      next.nextNoticeAt = wasActioned ? now : (s.nextNoticeAt ?? now);
      return ok('action-failed', c.reason);
    }
    case 'dispute':
      if (!move('disputed', AWAITING_TARGET)) return reject(`cannot dispute an order that is ${s.status}`);
      next.acknowledgedAt = s.acknowledgedAt ?? now;
      return ok('disputed', c.reason);
    case 'verify':
      if (!move('verified', ['actioned'])) return reject(`cannot verify an order that is ${s.status}`);
      next.verifiedAt = now;
      next.closedAt = now;
      next.nextNoticeAt = null;
      return ok('verified', c.note);
    case 'reopen':
      if (!move('reopened', ['actioned'])) return reject(`cannot reopen an order that is ${s.status}`);
      next.verificationFailures = s.verificationFailures + 1;
      // The re-notice clock continues: the next notice is due now (the target said done; it is not).
      next.nextNoticeAt = now;
      return ok('reopened', c.reason);
    case 'withdraw':
      next.status = 'withdrawn';
      next.closedAt = now;
      next.nextNoticeAt = null;
      return ok('withdrawn', c.reason);
    case 'confirm':
      if (s.confirmedAt !== null) return reject('order is already confirmed');
      next.confirmedAt = now;
      return ok('confirmed');
    case 'extend': {
      const deadlineAt = extendedDeadline(s, c);
      if (deadlineAt <= s.deadlineAt) return reject('the new deadline must be later than the current one');
      next.deadlineAt = deadlineAt;
      next.escalatedAt = null;
      next.escalationReason = null;
      return ok('deadline-extended', c.reason);
    }
    case 'pause':
      if (s.pausedAt !== null) return reject('the clock is already paused');
      if (s.status === 'actioned') return reject('the order is actioned; nothing to pause');
      next.pausedAt = now;
      return ok('paused', c.reason);
    case 'resume': {
      if (s.pausedAt === null) return reject('the clock is not paused');
      const pausedMs = Math.max(0, now.getTime() - s.pausedAt.getTime());
      next.pausedAt = null;
      next.deadlineAt = new Date(s.deadlineAt.getTime() + pausedMs);
      if (s.nextNoticeAt !== null) next.nextNoticeAt = new Date(s.nextNoticeAt.getTime() + pausedMs);
      return ok('resumed', `clock stopped for ${Math.round(pausedMs / 1000)} s`);
    }
    case 'renotice': {
      if (
        s.pausedAt !== null ||
        !AWAITING_TARGET.includes(s.status) ||
        s.nextNoticeAt === null ||
        now < s.nextNoticeAt
      )
        return reject('no re-notice due');
      next.noticesSent = s.noticesSent + 1;
      next.nextNoticeAt = nextNoticeAfter(s.nextNoticeAt, s.renoticeIntervalMs, now);
      return ok('renoticed', `notice ${next.noticesSent}`);
    }
    case 'escalate': {
      const escalated = (reason: EscalationReason, dueAt: Date): OrderCommandResult => {
        next.escalatedAt = now;
        next.escalationReason = reason;
        return {
          ok: true,
          state: next,
          event: 'escalated',
          note: escalationNote(reason, dueAt),
          escalationReason: reason,
        };
      };
      if (c.unverified !== undefined) {
        const dueAt = unverifiedEscalationAt(s, c.unverified.graceMs);
        if (dueAt === null || now < dueAt) return reject('no escalation due');
        return escalated('verification-inconclusive', dueAt);
      }
      // Once; or again when the last escalation said the action could not be verified and the action is now owed
      // again past the deadline (verification found the content still there, or the target reported its action
      // failed): the authority learns it is confirmed still up, once per such change.
      const told = s.escalatedAt !== null && s.escalationReason !== 'verification-inconclusive';
      if (told || !isOverdue(s, now)) return reject('no escalation due');
      return escalated('deadline-missed', s.deadlineAt);
    }
  }
}

/**
 * When an actioned order whose verification stays inconclusive is escalated: at its deadline if the target answered
 * "actioned" after it, else `graceMs` after it (the host had until the deadline to remove, and the verifier a grace
 * to see it). Null when no such escalation is owed: not actioned, paused (never overdue), or escalated already
 * since that answer (once per "actioned"; an escalation for the missed deadline before it does not count, since
 * it told the authority nothing of the answer no one can verify).
 */
export function unverifiedEscalationAt(
  s: Pick<OrderClockState, 'status' | 'pausedAt' | 'actionedAt' | 'escalatedAt' | 'deadlineAt'>,
  graceMs: number,
): Date | null {
  if (s.status !== 'actioned' || s.pausedAt !== null || s.actionedAt === null) return null;
  if (s.escalatedAt !== null && s.escalatedAt >= s.actionedAt) return null;
  const late = s.actionedAt >= s.deadlineAt;
  return late ? s.deadlineAt : new Date(s.deadlineAt.getTime() + graceMs);
}

/**
 * The deadline an `extend` command asks for on `s`: its `deadlineAt`, or `byMs` past the deadline `s` has. The
 * relative form is resolved here, on the state the command applies to, so that an extension racing another
 * command (a resume moving the deadline on) adds its time to the deadline as it then stands.
 */
export function extendedDeadline(
  s: Pick<OrderClockState, 'deadlineAt'>,
  c: Extract<OrderCommand, { type: 'extend' }>,
): Date {
  return 'byMs' in c ? new Date(s.deadlineAt.getTime() + c.byMs) : c.deadlineAt;
}

/**
 * The next re-notice after one sent at `now` for a notice due at `dueAt`: keeps the cadence of the schedule
 * (issue time + k × interval) and never schedules in the past, so a scheduler that was down sends one notice,
 * not a burst.
 */
export function nextNoticeAfter(dueAt: Date, intervalMs: number, now: Date): Date {
  const behind = Math.max(0, now.getTime() - dueAt.getTime());
  const steps = Math.floor(behind / intervalMs) + 1;
  return new Date(dueAt.getTime() + steps * intervalMs);
}

/** Commands the scheduler owes an order at `now`, in the order to apply them (escalate before re-notice). */
export function dueOrderCommands(s: OrderClockState, now: Date): OrderCommand[] {
  const due: OrderCommand[] = [];
  if (applyOrderCommand(s, { type: 'escalate' }, now).ok) due.push({ type: 'escalate' });
  if (applyOrderCommand(s, { type: 'renotice' }, now).ok) due.push({ type: 'renotice' });
  return due;
}

/** The clock of a newly issued order. */
export function initialOrderState(o: {
  issuedAt: Date;
  deadlineAt: Date;
  renoticeIntervalMs: number;
}): OrderClockState {
  return {
    status: 'issued',
    issuedAt: o.issuedAt,
    deadlineAt: o.deadlineAt,
    renoticeIntervalMs: o.renoticeIntervalMs,
    nextNoticeAt: new Date(o.issuedAt.getTime() + o.renoticeIntervalMs),
    noticesSent: 1,
    pausedAt: null,
    escalatedAt: null,
    escalationReason: null,
    confirmedAt: null,
    deliveredAt: null,
    acknowledgedAt: null,
    actionedAt: null,
    verifiedAt: null,
    closedAt: null,
    verificationFailures: 0,
  };
}
