import { defuseFormulaCell } from '@mod/contracts/spreadsheet-cells';
import { AwaitingTargetStatuses, ClosedOrderStatuses } from '@mod/orders';
import type { Order } from '../api/types.js';
import type { I18n } from '../i18n/locale.js';

/**
 * The order lifecycle's statuses, those after which nothing more happens, and those in which the target still
 * owes the action (the deadline counts): `@mod/orders`, the API's own rules, bundled (pure code, no I/O).
 */
export { OrderStatuses as ORDER_STATUSES } from '@mod/orders';
const CLOSED: readonly string[] = ClosedOrderStatuses;
const AWAITING: readonly string[] = AwaitingTargetStatuses;
export { CLOSED as CLOSED_STATUSES };

/** Where an order stands against its deadline, for the desk's countdown. */
export type DeadlineState =
  | { kind: 'closed' }
  | { kind: 'done' }
  | { kind: 'paused' }
  | { kind: 'overdue'; byMs: number }
  | { kind: 'running'; leftMs: number };

export function deadlineState(order: Order, nowMs: number): DeadlineState {
  if (CLOSED.includes(order.status)) return { kind: 'closed' };
  if (!AWAITING.includes(order.status)) return { kind: 'done' };
  if (order.clock.pausedAt !== null) return { kind: 'paused' };
  const left = Date.parse(order.deadlineAt) - nowMs;
  return left <= 0 ? { kind: 'overdue', byMs: -left } : { kind: 'running', leftMs: left };
}

/** The desk's order: overdue first (longest overdue on top), then running by nearest deadline, then the rest. */
export function deskOrder(orders: readonly Order[], nowMs: number): Order[] {
  const rank = (o: Order) => {
    const s = deadlineState(o, nowMs);
    if (s.kind === 'overdue') return [0, -s.byMs] as const;
    if (s.kind === 'running') return [1, s.leftMs] as const;
    if (s.kind === 'paused') return [2, Date.parse(o.deadlineAt)] as const;
    if (s.kind === 'done') return [3, -Date.parse(o.issuedAt)] as const;
    return [4, -Date.parse(o.issuedAt)] as const;
  };
  return [...orders].sort((a, b) => {
    const [ra, ka] = rank(a);
    const [rb, kb] = rank(b);
    return ra !== rb ? ra - rb : ka - kb;
  });
}

/**
 * Rows of a CSV file (RFC 4180: fields quoted, quotes doubled); a text that would start a formula (=, +, -, @,
 * tab, CR) is defused for spreadsheets with a leading quote, by the project's one rule (`defuseFormulaCell`).
 */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  const field = (v: string | number | null) => {
    if (v === null) return '""';
    const s = String(v);
    const safe = typeof v === 'string' ? defuseFormulaCell(s) : s;
    return `"${safe.replaceAll('"', '""')}"`;
  };
  return rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/**
 * The note of an order's history event as the reader reads it: an escalation's reason, from its code, in the
 * reader's language (the console's catalogue); any other event's note, or an escalation's the API gives no code
 * for, as stored.
 */
export function historyNote(i18n: Pick<I18n, 't'>, event: Order['history'][number]): string {
  if (event.escalationReason !== undefined) return i18n.t(`order.escalation.${event.escalationReason}`);
  return event.note ?? '';
}
