import { Type } from '@fastify/type-provider-typebox';
import {
  appendAudit,
  commandOrder,
  enqueueOrderChange,
  withTransaction,
  type Order,
  type OrderCommand,
  type OrderScope,
  type OrderTopics,
  type Principal,
} from '@mod/db';
import { conflict, notFound } from '../errors.js';
import { Uuid, type RouteDeps } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String();

/** An order as the API answers it (the full lifecycle view). */
export const OrderBody = Type.Object(
  {
    id: Uuid,
    kind: Type.Union([Type.Literal('takedown'), Type.Literal('blocking')]),
    subject: Type.Object(
      {
        type: Type.Union([Type.Literal('content-hash'), Type.Literal('url'), Type.Literal('host')]),
        value: Type.String(),
      },
      { additionalProperties: false },
    ),
    targetTenantId: Type.String(),
    status: Type.String(),
    legalBasis: Type.String(),
    issuer: Type.Unknown(),
    issuerTenantId: Nullable(Type.String()),
    issuedAt: Time,
    deadlineAt: Time,
    overdue: Type.Boolean(),
    clock: Type.Object(
      {
        pausedAt: Nullable(Time),
        escalatedAt: Nullable(Time),
        nextNoticeAt: Nullable(Time),
        noticesSent: Type.Integer(),
        renoticeIntervalMs: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    confirmedAt: Nullable(Time),
    confirmedBy: Nullable(Type.String()),
    confirmedByTenantId: Nullable(Type.String()),
    deliveredAt: Nullable(Time),
    acknowledgedAt: Nullable(Time),
    actionedAt: Nullable(Time),
    verifiedAt: Nullable(Time),
    verifyUrl: Nullable(Type.String()),
    verificationFailures: Type.Integer(),
    evidence: Type.Unknown(),
    policyVersion: Type.String(),
    submissionId: Nullable(Type.String()),
    createdAt: Time,
    updatedAt: Time,
    history: Type.Array(
      Type.Object(
        { status: Type.String(), at: Time, actor: Type.String(), note: Nullable(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const OrderParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Where this deployment's order messages go (each target's own topics, under the topic prefix). */
export function orderTopicsOf(deps: RouteDeps): OrderTopics {
  return { prefix: deps.topics.prefix };
}

/**
 * Applies one lifecycle command for a caller, in ONE transaction with its order-events message, the webhook
 * to the other party and the audit record. An order outside the caller's `scope` (the route's `orderScopeOf`)
 * answers 404; a command the order's state does not allow answers 409 with the reason.
 */
export async function commandForCaller(
  deps: RouteDeps,
  p: Principal,
  scope: OrderScope,
  a: {
    id: string;
    command: OrderCommand;
    action: string;
    reason: string | null;
    notify: (o: Order) => string[];
  },
): Promise<Order> {
  const now = (deps.now ?? (() => new Date()))();
  const actor = `${p.role}:${p.tenantId}:${p.keyId}`;
  return withTransaction(deps.db, async (c) => {
    const r = await commandOrder(c, {
      id: a.id,
      scope,
      command: a.command,
      now,
      actor,
      actorTenantId: p.tenantId,
    });
    if (!r.ok && r.notFound) throw notFound('order');
    if (!r.ok) throw conflict(r.reason);
    await enqueueOrderChange(c, {
      topics: orderTopicsOf(deps),
      order: r.order,
      event: r.event,
      actor,
      note: a.reason,
      now,
      notify: a.notify(r.order).filter((t) => t !== p.tenantId),
    });
    await appendAudit(c, {
      actor: { kind: 'user', id: p.keyId },
      role: p.role,
      tenantId: p.tenantId,
      action: a.action,
      subject: { type: 'order', id: a.id },
      reason: a.reason,
      evidence: { from: r.before, to: r.order.status, event: r.event, deadlineAt: r.order.deadlineAt },
    });
    return r.order;
  });
}
