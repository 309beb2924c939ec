import type { OrderStatus } from './order-machine.js';
import type { EscalationReason } from './escalation-reasons.js';

/** A takedown order goes to the platform hosting the content; a blocking request to an ISP. */
export type OrderKind = 'takedown' | 'blocking';
/** What an order is about: content by its SHA-256, a URL, or a whole host. */
export type SubjectType = 'content-hash' | 'url' | 'host';

/**
 * An order as every reader sees it: `@mod/db/orders` reads it, the API answers with it, and the messages and
 * webhooks an order sends are built from it. Times are ISO strings.
 */
export interface Order {
  id: string;
  kind: OrderKind;
  subject: { type: SubjectType; value: string };
  targetTenantId: string;
  status: OrderStatus;
  legalBasis: string;
  issuer: unknown;
  issuerTenantId: string | null;
  issuedAt: string;
  deadlineAt: string;
  /** Whether the deadline has passed while the target still owed an action (at read time). */
  overdue: boolean;
  clock: {
    pausedAt: string | null;
    escalatedAt: string | null;
    nextNoticeAt: string | null;
    noticesSent: number;
    renoticeIntervalMs: number;
  };
  confirmedAt: string | null;
  confirmedBy: string | null;
  /** The tenant whose key confirmed the order (an authority; an admin tenant when an admin did). */
  confirmedByTenantId: string | null;
  deliveredAt: string | null;
  acknowledgedAt: string | null;
  actionedAt: string | null;
  verifiedAt: string | null;
  verifyUrl: string | null;
  verificationFailures: number;
  evidence: unknown;
  policyVersion: string;
  submissionId: string | null;
  createdAt: string;
  updatedAt: string;
  /**
   * Its issuer's own events only (a folded request's history never shows the shared order's). An escalation says
   * why as a code too (`order_events.escalation_reason`), which readers show in their language; `note` is English.
   */
  history: {
    status: string;
    at: string;
    actor: string;
    note: string | null;
    escalationReason?: EscalationReason;
  }[];
  /**
   * A request folded into an open order for the same kind, subject and target (`issueOrderRequest`): status,
   * deadline and clock are that order's; everything else (id, issuer, legal basis, evidence, history) is the
   * request's own.
   */
  folded: boolean;
  /** The order a folded request is folded into: shown to oversight only (null for everyone else). */
  foldedInto: string | null;
}

/**
 * The authorities answerable for an order, who hear of every target response (acknowledgement, dispute, action
 * or its failure, through whichever route the target sends it): the one that issued it and the one that
 * confirmed it (an automatic order has no issuer). Each once.
 */
export function answerableAuthorities(o: Pick<Order, 'issuerTenantId' | 'confirmedByTenantId'>): string[] {
  return [...new Set([o.issuerTenantId, o.confirmedByTenantId].filter((t): t is string => t !== null))];
}
