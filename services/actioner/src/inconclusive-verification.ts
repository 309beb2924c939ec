import { EscalationReasons, unverifiedEscalationAt, type Order } from '@mod/orders';
import { backoffMs, type BackoffOptions } from '@mod/urls';

/**
 * What came of an inconclusive check of an actioned order (`mod_order_inconclusive_verifications_total`):
 * within_grace, before its deadline and grace; escalated now; escalated_before, escalated since it was actioned
 * (or owing no escalation: paused).
 */
export type InconclusiveOutcome = 'within_grace' | 'escalated' | 'escalated_before';

const dateOf = (iso: string | null) => (iso === null ? null : new Date(iso));

/**
 * After the `attempts`-th inconclusive check of `order` at `at`: when to check again (a wait growing with each,
 * so a host that never answers does not stay first in line, but never past the moment the order is to be
 * escalated for it) and whether it is to be escalated now (`unverifiedEscalationAt` of `@mod/orders`).
 */
export function afterInconclusive(
  order: Order | null,
  at: Date,
  attempts: number,
  a: { backoff: BackoffOptions; graceMs: number },
): { retryAt: Date; outcome: Exclude<InconclusiveOutcome, 'escalated'> | 'escalate' } {
  const now = at.getTime();
  const escalateAt =
    order === null
      ? null
      : (unverifiedEscalationAt(
          {
            status: order.status,
            pausedAt: dateOf(order.clock.pausedAt),
            actionedAt: dateOf(order.actionedAt),
            escalatedAt: dateOf(order.clock.escalatedAt),
            deadlineAt: new Date(order.deadlineAt),
          },
          a.graceMs,
        )?.getTime() ?? null);
  const backedOff = now + backoffMs(attempts, a.backoff);
  if (escalateAt === null) return { retryAt: new Date(backedOff), outcome: 'escalated_before' };
  if (escalateAt > now)
    return { retryAt: new Date(Math.min(backedOff, escalateAt)), outcome: 'within_grace' };
  return { retryAt: new Date(backedOff), outcome: 'escalate' };
}

/** The audit reason of an escalation for an inconclusive verification (the English; both are in `@mod/orders`). */
export function inconclusiveEscalationReason(order: Order, escalateTo: string): string {
  return (
    `${EscalationReasons['verification-inconclusive'].en}: actioned at ${order.actionedAt ?? '?'}, ` +
    `${order.verifyUrl ?? '?'} not checkable past deadline ${order.deadlineAt}; escalated to ${escalateTo}`
  );
}
