/** `@mod/db/orders`: Orders (blocking and takedown) from issue to verification: the state machine, folding, cases, webhooks and announcements. */
export * from '../orders.js';
export type { Order, OrderCommand, OrderKind, OrderStatus, SubjectType } from '@mod/orders';
export * from '../order-cases.js';
export * from '../order-webhooks.js';
export * from '../order-announce.js';
