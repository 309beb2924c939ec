/**
 * `@mod/orders`: the order domain as pure functions over plain data (no I/O): the lifecycle state machine.
 * `@mod/db/orders` stores orders and runs these rules inside its transactions.
 */
export {
  OrderStatuses,
  ClosedOrderStatuses,
  commandActor,
  applyOrderCommand,
  isOverdue,
  nextNoticeAfter,
  dueOrderCommands,
  initialOrderState,
  type OrderStatus,
  type OrderClockState,
  type OrderCommand,
  type OrderCommandType,
  type OrderCommandResult,
} from './order-machine.js';
