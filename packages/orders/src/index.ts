/**
 * `@mod/orders`: the order domain as pure functions over plain data (no I/O): what an order is, its lifecycle
 * state machine, the folding rules, and the messages an order sends. `@mod/db/orders` stores orders and runs
 * these rules inside its transactions.
 */
export { answerableAuthorities, type Order, type OrderKind, type SubjectType } from './order.js';
export {
  OrderStatuses,
  ClosedOrderStatuses,
  AwaitingTargetStatuses,
  commandActor,
  applyOrderCommand,
  extendedDeadline,
  isOverdue,
  unverifiedEscalationAt,
  nextNoticeAfter,
  dueOrderCommands,
  initialOrderState,
  type OrderStatus,
  type OrderClockState,
  type OrderCommand,
  type OrderCommandType,
  type OrderCommandResult,
} from './order-machine.js';
export {
  EscalationReasons,
  escalationNote,
  escalationReasonText,
  type EscalationReason,
} from './escalation-reasons.js';
export {
  FOLD_ACTOR,
  FOLDED_REQUEST_REFUSAL,
  applyOrderCommandUnderFolding,
  foldShortensDeadline,
  type FoldingPosition,
  type FoldedCommandResult,
} from './order-folding.js';
export {
  blockingRequestFor,
  takedownRequestFor,
  orderEventFor,
  webhookPayload,
  type OrderChange,
} from './order-messages.js';
