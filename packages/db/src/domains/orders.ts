/**
 * `@mod/db/orders`: Orders (blocking and takedown) from issue to verification, as stored: issuing and folding,
 * reads and scopes, lifecycle commands, statistics, cases, webhooks and announcements. The rules they run (the
 * state machine, folding, the messages an order sends) are the pure `@mod/orders`.
 */
export * from '../order-issue.js';
export * from '../order-reads.js';
export * from '../order-scope.js';
export * from '../order-commands.js';
export * from '../order-stats.js';
export * from '../order-cases.js';
export * from '../order-webhooks.js';
export * from '../order-webhook-overview.js';
export * from '../order-announce.js';
export * from '../decision-effects.js';
export * from '../order-issuing.js';
export type { Order, OrderCommand, OrderKind, OrderStatus, SubjectType } from '@mod/orders';
