import { withTransaction, type Pool } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import {
  claimDueWebhooks,
  commandOrder,
  enqueueOrderChange,
  getOrder,
  listOrdersDue,
  listOrdersToVerify,
  postponeVerification,
  orderStats,
  recordWebhookAttempt,
  releaseWebhook,
  type ClaimedDelivery,
  type Order,
  type OrderCommand,
  type OrderTopics,
} from '@mod/db/orders';
import { answerableAuthorities } from '@mod/orders';
import {
  noTracer,
  SpanKind,
  SpanStatusCode,
  startStoredSpan,
  TRACEPARENT_HEADER,
  type Logger,
  type Tracer,
} from '@mod/telemetry';
import { backoffMs, type BackoffOptions } from '@mod/urls';
import type { Clock } from './clock.js';
import type { LifecycleMetrics } from './metrics.js';
import { createSafeWebhookSender, WebhookNotSent, type WebhookSender } from './webhook-sender.js';
import { contentDigestOf, type Verifier } from './verifier.js';
import { afterInconclusive, inconclusiveEscalationReason } from './inconclusive-verification.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signing.js';

export type { WebhookSender };

export interface LifecycleOptions {
  db: Pool;
  clock: Clock;
  topics: OrderTopics;
  logger: Logger;
  metrics: LifecycleMetrics;
  /** Named on escalations when the order has no issuing authority tenant. */
  confirmingAuthority: string;
  /** Re-fetches actioned takedowns; none: orders stay actioned until checked by other means. */
  verifier?: Verifier;
  /** Default: {@link createSafeWebhookSender} with production settings. */
  sender?: WebhookSender;
  webhook?: {
    timeoutMs?: number;
    /** Attempts before a delivery is marked failed. Default 12. */
    maxAttempts?: number;
    /** Time a claimed delivery is held by one worker, ms. Default 60000. */
    leaseMs?: number;
    backoff?: BackoffOptions;
  };
  verification?: {
    /**
     * Time a pass spends re-fetching actioned orders' URLs, ms: no new check starts after it (the rest wait for
     * the next pass), so slow or unreachable hosts cannot hold up escalations and webhooks. Default 60000.
     */
    passBudgetMs?: number;
    /** Wait after an inconclusive check, growing with each (default 10 min doubling, at most a day). */
    backoff?: BackoffOptions;
    /** Time past its deadline an order actioned in time may stay unverifiable before it is escalated, ms. Default 24 h. */
    inconclusiveGraceMs?: number;
  };
  /** Orders handled per pass. Default 200. */
  batchSize?: number;
  /** Each webhook attempt is a client span of the trace its delivery was queued in. */
  tracer?: Tracer;
}

export interface TickReport {
  escalated: number;
  renoticed: number;
  verified: number;
  reopened: number;
  webhooksDelivered: number;
  webhooksFailed: number;
}

/** The scheduler's passes; `tick` runs them all once at the injected clock's time. */
export interface OrderLifecycle {
  tick(): Promise<TickReport>;
  /** Escalations and re-notices due now. */
  runClock(): Promise<Pick<TickReport, 'escalated' | 'renoticed'>>;
  /** Re-fetches actioned takedowns through the verifier. */
  runVerification(): Promise<Pick<TickReport, 'verified' | 'reopened'>>;
  /** Sends due webhooks, one attempt each. */
  runWebhooks(): Promise<Pick<TickReport, 'webhooksDelivered' | 'webhooksFailed'>>;
  /** Refreshes the order gauges (open, overdue, times). */
  refreshMetrics(): Promise<void>;
}

const SYSTEM = { kind: 'service', id: 'actioner' } as const;

/**
 * Deadlines, re-notices, escalation, verification and webhook delivery, driven by an injected clock. Each
 * change is one transaction: the order's new state, its history event, the outgoing messages and the audit
 * record commit together (or not at all), so a crash repeats at most a check, never a notice.
 */
export function createOrderLifecycle(o: LifecycleOptions): OrderLifecycle {
  const batch = o.batchSize ?? 200;
  const verifyBackoff = o.verification?.backoff ?? { baseMs: 600_000, maxMs: 86_400_000 };
  const inconclusiveGraceMs = o.verification?.inconclusiveGraceMs ?? 86_400_000;
  const inconclusive = { backoff: verifyBackoff, graceMs: inconclusiveGraceMs };
  const send = o.sender ?? createSafeWebhookSender();
  const timeoutMs = o.webhook?.timeoutMs ?? 10_000;
  const maxAttempts = o.webhook?.maxAttempts ?? 12;
  const leaseMs = o.webhook?.leaseMs ?? 60_000;

  /** Applies a system command in its own transaction; returns the order after it, or null if it no longer applies. */
  const apply = async (
    id: string,
    command: OrderCommand,
    audit: (order: Order) => { action: string; reason: string; evidence?: Record<string, unknown> },
    notify: (order: Order) => { tenants: string[]; escalateTo?: string; folded?: boolean },
  ): Promise<Order | null> => {
    const now = o.clock.now();
    return withTransaction(o.db, async (c) => {
      const r = await commandOrder(c, { id, scope: { all: true }, command, now, actor: 'actioner' });
      if (!r.ok) return null;
      const n = notify(r.order);
      const last = r.order.history.at(-1);
      await enqueueOrderChange(c, {
        topics: o.topics,
        order: r.order,
        event: r.event,
        actor: 'actioner',
        note: last?.note ?? null,
        ...(last?.escalationReason === undefined ? {} : { escalationReason: last.escalationReason }),
        now,
        notify: n.tenants,
        notifyFolded: n.folded === true,
        ...(n.escalateTo === undefined ? {} : { escalateTo: n.escalateTo }),
      });
      const a = audit(r.order);
      await appendAudit(c, {
        actor: SYSTEM,
        action: a.action,
        tenantId: r.order.targetTenantId,
        subject: { type: 'order', id },
        reason: a.reason,
        evidence: { status: r.order.status, deadlineAt: r.order.deadlineAt, ...a.evidence },
      });
      o.metrics.transitions.inc({ kind: r.order.kind, event: r.event });
      return r.order;
    });
  };

  /** Escalates order `id` once its deadline is missed (`unverified`: see afterInconclusive); null when not due. */
  const escalate = (id: string, unverified = false) =>
    apply(
      id,
      unverified ? { type: 'escalate', unverified: { graceMs: inconclusiveGraceMs } } : { type: 'escalate' },
      (order) => ({
        action: 'order.escalated',
        reason: unverified
          ? inconclusiveEscalationReason(order, order.issuerTenantId ?? o.confirmingAuthority)
          : `deadline ${order.deadlineAt} missed; escalated to ${order.issuerTenantId ?? o.confirmingAuthority}`,
        evidence: { escalation: unverified ? 'verification-inconclusive' : 'deadline-missed' },
      }),
      // Every authority answerable for the order hears of it, as of the target's responses: an automatic
      // order has no issuer, and the authority that confirmed it is the one whose deadline was missed.
      // So does every authority whose request is folded into it (its own request's deadline was missed with it).
      (order) => ({
        tenants: answerableAuthorities(order),
        escalateTo: order.issuerTenantId ?? o.confirmingAuthority,
        folded: true,
      }),
    );

  const runClock = async () => {
    let escalated = 0;
    let renoticed = 0;
    for (const id of await listOrdersDue(o.db, o.clock.now(), batch)) {
      const esc = await escalate(id);
      if (esc !== null) escalated++;
      const again = await apply(
        id,
        { type: 'renotice' },
        (order) => ({
          action: 'order.renoticed',
          reason: `notice ${order.clock.noticesSent} sent; next at ${order.clock.nextNoticeAt ?? 'none'}`,
        }),
        (order) => ({ tenants: [order.targetTenantId] }),
      );
      if (again !== null) renoticed++;
    }
    return { escalated, renoticed };
  };

  const runVerification = async () => {
    let verified = 0;
    let reopened = 0;
    const verifier = o.verifier;
    if (verifier === undefined) return { verified, reopened };
    const budgetMs = o.verification?.passBudgetMs ?? 60_000;
    const startedAt = performance.now();
    for (const t of await listOrdersToVerify(o.db, batch, o.clock.now())) {
      if (performance.now() - startedAt >= budgetMs) break;
      const order = await getOrder(o.db, t.id, { all: true });
      const contentSha256 = contentDigestOf(t, order?.evidence);
      const result = await verifier.verify({ orderId: t.id, url: t.verifyUrl, contentSha256 });
      o.metrics.verifications.inc({ outcome: result.outcome });
      if (result.outcome === 'unknown') {
        // Tried again later; unverifiable past the deadline (and grace), escalated like a missed deadline, once per
        // "actioned" answer, before the check is put off (one that fails is tried at the next pass), and still checked.
        const next = afterInconclusive(order, o.clock.now(), t.verifyAttempts + 1, inconclusive);
        const escalated = next.outcome === 'escalate' && (await escalate(t.id, true)) !== null;
        await postponeVerification(o.db, t.id, next.retryAt);
        o.logger.info(
          { orderId: t.id, detail: result.detail, retryAt: next.retryAt.toISOString() },
          'verification inconclusive; will retry',
        );
        o.metrics.inconclusiveVerifications.inc({
          outcome: escalated ? 'escalated' : next.outcome === 'escalate' ? 'escalated_before' : next.outcome,
        });
        continue;
      }
      const done = result.outcome === 'gone' || result.outcome === 'changed';
      const after = await apply(
        t.id,
        done ? { type: 'verify', note: result.detail } : { type: 'reopen', reason: result.detail },
        () => ({
          action: done ? 'order.verified' : 'order.reopened',
          reason: `re-fetched ${t.verifyUrl}: ${result.outcome} (${result.detail})`,
          evidence: { verification: result.outcome },
        }),
        (ord) => ({ tenants: [ord.targetTenantId] }),
      );
      if (after === null) continue;
      if (done) verified++;
      else reopened++;
      // Still there past its deadline: escalated now, not at the next pass, by when the target may have answered
      // "actioned" again (its receiver can, at every order.reopened) and the order would never be overdue.
      if (!done) await escalate(t.id);
    }
    return { verified, reopened };
  };

  /** Sends one delivery and records the attempt: delivered, to be retried, or failed for good. */
  const attempt = async (d: ClaimedDelivery): Promise<'delivered' | 'retry' | 'failed'> => {
    const body = JSON.stringify({ deliveryId: d.id, ...(d.payload as object) });
    const startedAt = o.clock.now();
    const t0 = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    const { span, traceparent } = startStoredSpan(
      o.tracer ?? noTracer,
      'webhook',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'mod.order_id': d.orderId,
          'mod.attempt': d.attempts + 1,
        },
      },
      d.traceparent,
    );
    try {
      status = (
        await send({
          url: d.url,
          body,
          timeoutMs,
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signatureHeader(d.secret, Math.floor(startedAt.getTime() / 1000), body),
            [DELIVERY_HEADER]: d.id,
            ...(traceparent === null ? {} : { [TRACEPARENT_HEADER]: traceparent }),
          },
        })
      ).status;
    } catch (err) {
      error = ((err as Error).message || 'request failed').slice(0, 500);
      if (err instanceof WebhookNotSent)
        o.logger.info({ deliveryId: d.id, tenantId: d.tenantId, detail: err.detail }, 'webhook not sent');
    }
    const delivered = status !== null && status >= 200 && status < 300;
    if (!delivered && error === null) error = `HTTP ${status ?? '?'}`;
    if (status !== null) span.setAttribute('http.response.status_code', status);
    if (!delivered) span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? 'not delivered' });
    span.end();
    const attempts = d.attempts + 1;
    const retryAt =
      delivered || attempts >= maxAttempts
        ? null
        : new Date(startedAt.getTime() + backoffMs(attempts, o.webhook?.backoff));
    await withTransaction(o.db, async (c) => {
      await recordWebhookAttempt(c, {
        deliveryId: d.id,
        at: startedAt,
        statusCode: status,
        error,
        durationMs: performance.now() - t0,
        delivered,
        retryAt,
      });
      if (!delivered) return;
      // The first successful delivery of an order's issue message marks it delivered.
      const r = await commandOrder(c, {
        id: d.orderId,
        scope: { all: false, targetTenantId: d.tenantId },
        command: { type: 'deliver' },
        now: startedAt,
        actor: 'actioner',
      });
      if (!r.ok) return;
      await enqueueOrderChange(c, {
        topics: o.topics,
        order: r.order,
        event: r.event,
        actor: 'actioner',
        note: `webhook delivery ${d.id}`,
        now: startedAt,
      });
      await appendAudit(c, {
        actor: SYSTEM,
        action: 'order.delivered',
        tenantId: d.tenantId,
        subject: { type: 'order', id: d.orderId },
        reason: `webhook delivered (attempt ${attempts})`,
        evidence: { deliveryId: d.id, statusCode: status },
      });
    });
    const outcome = delivered ? 'delivered' : retryAt === null ? 'failed' : 'retry';
    o.metrics.webhookAttempts.inc({ outcome });
    return outcome;
  };

  // One tenant's deliveries go one after the other (in queue order), each taking up to `timeoutMs`: claim no more
  // of them than fit in the lease, so none is claimed again by another worker while it still waits here.
  const perTenant = Math.max(1, Math.ceil(leaseMs / timeoutMs) - 1);
  const runWebhooks = async () => {
    let webhooksDelivered = 0;
    let webhooksFailed = 0;
    const claimed = await claimDueWebhooks(o.db, { now: o.clock.now(), leaseMs, limit: batch, perTenant });
    const byTenant = new Map<string, ClaimedDelivery[]>();
    for (const d of claimed) byTenant.set(d.tenantId, [...(byTenant.get(d.tenantId) ?? []), d]);
    // Tenants side by side: a receiver that answers slowly (or never) holds up its own deliveries, no one else's.
    const settled = await Promise.allSettled(
      [...byTenant.values()].map(async (deliveries) => {
        // In queue order; an order whose message is to be retried sends nothing after it (those go back to
        // wait for it), so its receiver never gets a later message first. One failed for good lets the next go.
        const waiting = new Set<string>();
        for (const d of deliveries) {
          if (waiting.has(d.orderId)) {
            await releaseWebhook(o.db, { deliveryId: d.id, now: o.clock.now() });
            continue;
          }
          const outcome = await attempt(d);
          if (outcome === 'delivered') webhooksDelivered++;
          else webhooksFailed++;
          if (outcome === 'retry') waiting.add(d.orderId);
        }
      }),
    );
    // Every tenant's work ends within the pass; the first failure (a database error) is the pass's.
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    return { webhooksDelivered, webhooksFailed };
  };

  const refreshMetrics = async () => {
    const report = await orderStats(o.db, { scope: { all: true }, now: o.clock.now() });
    for (const k of report.byKind) {
      o.metrics.open.set({ kind: k.kind }, k.open);
      o.metrics.overdue.set({ kind: k.kind }, k.overdue);
      o.metrics.withinDeadline.set({ kind: k.kind }, k.withinDeadlineShare ?? 0);
      for (const [quantile, v] of [
        ['0.5', k.acknowledgeSeconds.median],
        ['0.9', k.acknowledgeSeconds.p90],
      ] as const)
        if (v !== null) o.metrics.acknowledgeSeconds.set({ kind: k.kind, quantile }, v);
      for (const [quantile, v] of [
        ['0.5', k.actionSeconds.median],
        ['0.9', k.actionSeconds.p90],
      ] as const)
        if (v !== null) o.metrics.actionSeconds.set({ kind: k.kind, quantile }, v);
    }
  };

  return {
    runClock,
    runVerification,
    runWebhooks,
    refreshMetrics,
    async tick() {
      const clockReport = await runClock();
      const verification = await runVerification();
      const webhooks = await runWebhooks();
      await refreshMetrics();
      return { ...clockReport, ...verification, ...webhooks };
    },
  };
}
