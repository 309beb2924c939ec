import {
  applyOrderCommand,
  ClosedOrderStatuses,
  extendedDeadline,
  type OrderClockState,
  type OrderCommand,
  type OrderCommandResult,
  type OrderStatus,
} from './order-machine.js';

/**
 * Folding: an authority's request for the same (kind, subject, target) as an open order is kept as a request of
 * its own, folded into that order (the shared order), so the target receives one order per subject. The rules
 * here are the pure part; `@mod/db/orders` finds where an order stands under lock and writes the result.
 *
 * The binding deadline rule: a shared order's deadline never lies beyond the requested deadline of a live request
 * folded into it, so a legal deadline is never weakened by folding. A request with an earlier deadline moves the
 * shared order's deadline to it when it folds (`foldShortensDeadline`); afterwards `applyOrderCommandUnderFolding`
 * refuses what would break the rule and keeps `resume` within it.
 */

/** Actor of the changes folding makes to a shared order: no authority's name, no note. */
export const FOLD_ACTOR = 'service:order-folding';

/** Where an order stands with respect to folding, when a command is applied to it. */
export type FoldingPosition =
  /** A request folded into a shared order, whose status that order has (null: the shared order was not found). */
  | { folded: true; sharedStatus: OrderStatus | null }
  /** An order of its own; `bindingDeadline` is the earliest deadline of the live requests folded into it (null: none). */
  | { folded: false; bindingDeadline: Date | null };

/**
 * `applyOrderCommand`'s result under the folding rules. A refusal may carry a `code`: `folded` (only withdrawal
 * applies to a folded request), `bound` (the command would move a shared order's deadline past a folded request's,
 * or stop its clock).
 */
export type FoldedCommandResult =
  | Extract<OrderCommandResult, { ok: true }>
  | { ok: false; reason: string; code?: 'folded' | 'bound' };

/** Why any command but withdrawal is refused on a folded request. */
export const FOLDED_REQUEST_REFUSAL =
  'this request is folded into an order already addressed to the target for the same subject: ' +
  'its status and deadline are that order’s, and only withdrawing the request applies to it';

/**
 * Applies one command at `now` to an order's own clock `state` under the folding rules:
 * - a folded request takes only `withdraw`, which withdraws that request alone (nothing reaches the target), and
 *   not once its shared order is closed (unless the request is already withdrawn: the machine then says so);
 * - on a shared order (`bindingDeadline` set), `pause` is refused, `extend` past the binding deadline is refused,
 *   and `resume` moves the deadline on by the time paused but never past the binding deadline.
 * Never throws.
 */
export function applyOrderCommandUnderFolding(
  state: OrderClockState,
  command: OrderCommand,
  now: Date,
  position: FoldingPosition,
): FoldedCommandResult {
  let binding: Date | null = null;
  if (position.folded) {
    if (command.type !== 'withdraw') return { ok: false, reason: FOLDED_REQUEST_REFUSAL, code: 'folded' };
    const shared = position.sharedStatus;
    if (state.status !== 'withdrawn' && shared !== null && ClosedOrderStatuses.includes(shared))
      return { ok: false, reason: `order is ${shared}` };
  } else {
    binding = position.bindingDeadline;
    if (binding !== null && command.type === 'pause')
      return {
        ok: false,
        reason: 'another live request folded into this order binds its clock: it cannot be paused',
        code: 'bound',
      };
    if (binding !== null && command.type === 'extend' && extendedDeadline(state, command) > binding)
      return {
        ok: false,
        reason: `another live request folded into this order binds its deadline: it cannot move past ${binding.toISOString()}`,
        code: 'bound',
      };
  }
  const result = applyOrderCommand(state, command, now);
  if (!result.ok) return { ok: false, reason: result.reason };
  if (binding !== null && command.type === 'resume' && result.state.deadlineAt > binding)
    return { ...result, state: { ...result.state, deadlineAt: binding } };
  return result;
}

/** Whether a request folding into a shared order moves that order's deadline (to the request's earlier one). */
export function foldShortensDeadline(requestedDeadlineAt: Date, sharedDeadlineAt: Date): boolean {
  return requestedDeadlineAt < sharedDeadlineAt;
}
