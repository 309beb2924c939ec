import { randomUUID } from 'node:crypto';
import {
  Codecs,
  partnerTopic,
  type BlockingRequest,
  type Hit,
  type OrderEvent,
  type TakedownRequest,
} from '@mod/contracts';
import type { Order } from './orders.js';
import { enqueueOutbox } from './outbox.js';
import { enqueueWebhook } from './order-webhooks.js';
import type { Queryable } from './pool.js';

/**
 * Where order messages go: each target's own outbound topics (`mod.blocking-requests.v1.<isp>`,
 * `mod.takedown-requests.v1.<platform>`, `mod.order-events.v1.<target>`), under the deployment's topic prefix, so
 * a partner reading Kafka sees its own orders and no one else's.
 */
export interface OrderTopics {
  prefix: string;
}

/** What a target's webhook receives: the event and the order as it stands (no media, no evidence bytes). */
export function webhookPayload(event: string, order: Order, note: string | null, at: Date) {
  return {
    event: `order.${event}`,
    at: at.toISOString(),
    note,
    order: {
      id: order.id,
      kind: order.kind,
      subject: order.subject,
      status: order.status,
      legalBasis: order.legalBasis,
      issuedAt: order.issuedAt,
      deadlineAt: order.deadlineAt,
      noticesSent: order.clock.noticesSent,
      pausedAt: order.clock.pausedAt,
    },
  };
}

interface EvidenceLike {
  submissionId?: string;
  hits?: Hit[];
  policyVersion?: string;
  sha256?: string;
  note?: string;
}

/**
 * Enqueues the request a new order sends, in the caller's transaction (order and message commit together):
 * a blocking request on the ISP's topic or a takedown request on the platform's (key: order id), and a signed
 * webhook when the target has an endpoint.
 */
export async function enqueueOrderIssued(
  db: Queryable,
  a: { topics: OrderTopics; order: Order; now: Date },
): Promise<void> {
  const { order } = a;
  const ev = (order.evidence ?? {}) as EvidenceLike;
  if (order.kind === 'blocking') {
    const message: BlockingRequest = {
      orderId: order.id,
      ispTenantId: order.targetTenantId,
      subject: order.subject,
      legalBasis: order.legalBasis,
      deadlineAt: order.deadlineAt,
      issuedAt: order.issuedAt,
      evidence: {
        submissionId: ev.submissionId ?? order.submissionId ?? '00000000-0000-0000-0000-000000000000',
        hits: ev.hits ?? [],
        policyVersion: ev.policyVersion ?? order.policyVersion,
      },
    };
    await enqueueOutbox(
      db,
      partnerTopic(a.topics.prefix, 'blockingRequests', order.targetTenantId),
      order.id,
      Codecs.blockingRequest.parse(message),
    );
  } else {
    const issuer = (order.issuer ?? {}) as { kind?: string; id?: string };
    const message: TakedownRequest = {
      orderId: order.id,
      platformTenantId: order.targetTenantId,
      subject: order.subject,
      ...(order.verifyUrl === null ? {} : { url: order.verifyUrl }),
      legalBasis: order.legalBasis,
      deadlineAt: order.deadlineAt,
      issuedAt: order.issuedAt,
      issuer: {
        kind: issuer.kind === 'authority' ? 'authority' : 'policy',
        id: String(issuer.id ?? 'unknown'),
      },
      evidence: {
        ...(ev.submissionId === undefined ? {} : { submissionId: ev.submissionId }),
        ...(ev.sha256 === undefined ? {} : { sha256: ev.sha256 }),
        hits: ev.hits ?? [],
        policyVersion: ev.policyVersion ?? order.policyVersion,
        ...(ev.note === undefined ? {} : { note: ev.note }),
      },
    };
    await enqueueOutbox(
      db,
      partnerTopic(a.topics.prefix, 'takedownRequests', order.targetTenantId),
      order.id,
      Codecs.takedownRequest.parse(message),
    );
  }
  await enqueueWebhook(db, {
    tenantId: order.targetTenantId,
    orderId: order.id,
    event: 'issued',
    payload: webhookPayload('issued', order, null, a.now),
    now: a.now,
  });
}

/**
 * Announces a change of an order (status or clock) in the caller's transaction: an event on the order-events
 * topic (key: order id) and, when `notify` names tenants (the target for re-notices and authority actions, the
 * issuing authority for escalations), a signed webhook to each that has an endpoint.
 */
export async function enqueueOrderChange(
  db: Queryable,
  a: {
    topics: OrderTopics;
    order: Order;
    event: string;
    actor: string;
    note: string | null;
    now: Date;
    escalateTo?: string;
    notify?: readonly string[];
  },
): Promise<void> {
  const message: OrderEvent = {
    eventId: randomUUID(),
    orderId: a.order.id,
    kind: a.order.kind,
    targetTenantId: a.order.targetTenantId,
    event: a.event,
    status: a.order.status,
    at: a.now.toISOString(),
    actor: a.actor.slice(0, 200),
    deadlineAt: a.order.deadlineAt,
    note: a.note === null ? null : a.note.slice(0, 2000),
    ...(a.escalateTo === undefined ? {} : { escalateTo: a.escalateTo.slice(0, 200) }),
  };
  await enqueueOutbox(
    db,
    partnerTopic(a.topics.prefix, 'orderEvents', a.order.targetTenantId),
    a.order.id,
    Codecs.orderEvent.parse(message),
  );
  for (const tenantId of new Set(a.notify ?? [])) {
    await enqueueWebhook(db, {
      tenantId,
      orderId: a.order.id,
      event: a.event,
      payload: webhookPayload(a.event, a.order, a.note, a.now),
      now: a.now,
    });
  }
}
