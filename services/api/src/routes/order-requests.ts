import type { Queryable } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import {
  enqueueOrderChange,
  enqueueOrderIssued,
  getOrder,
  type OrderRequestOutcome,
  type OrderTopics,
} from '@mod/db/orders';
import { FOLD_ACTOR } from '@mod/orders';
import { conflict } from '../errors.js';
import { FOLDING_SERVICE } from './order-commands.js';

/**
 * Announces an authority's request (`issueOrderRequest`), in its transaction: a new order to its target, as any
 * order is; a request folded into an open order sends the target nothing of its own, but when folding restarted
 * that order's paused clock or moved its deadline earlier (the binding deadline rule), the target is told as for
 * the authority's command, in the name of no authority. Shared by the orders authorities issue by hand and those
 * they issue by confirming an escalation.
 */
export async function announceOrderRequest(
  c: Queryable,
  topics: OrderTopics,
  request: OrderRequestOutcome,
  at: Date,
): Promise<void> {
  if (request.foldedInto === null) {
    const issued = await getOrder(c, request.id, { all: true }, at);
    if (issued === null) throw conflict('order vanished');
    await enqueueOrderIssued(c, { topics, order: issued, now: at });
  } else if (request.resumed !== null || request.shortened !== null) {
    // The target keeps its one order; its clock runs again (a pause no longer holds a folded request's
    // deadline off) and its deadline is the stricter one, each announced as the authority's command would
    // be, in the name of no authority.
    const shared = await getOrder(c, request.foldedInto, { all: true }, at);
    if (shared === null) throw conflict('order vanished');
    const announce = async (
      event: string,
      action: string,
      reason: string,
      evidence: Record<string, unknown>,
    ) => {
      await enqueueOrderChange(c, {
        topics,
        order: shared,
        event,
        actor: FOLD_ACTOR,
        note: null,
        now: at,
        notify: [shared.targetTenantId],
      });
      await appendAudit(c, {
        actor: FOLDING_SERVICE,
        action,
        subject: { type: 'order', id: shared.id },
        reason,
        evidence,
      });
    };
    if (request.resumed !== null)
      await announce(
        'resumed',
        'order.resumed',
        'a request folded into this order binds its deadline: its clock may not stay paused',
        request.resumed,
      );
    if (request.shortened !== null)
      await announce(
        'deadline-shortened',
        'order.deadline_shortened',
        'a request folded into this order binds an earlier deadline',
        request.shortened,
      );
  }
}
