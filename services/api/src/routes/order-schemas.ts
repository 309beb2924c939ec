import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import {
  appendAudit,
  commandOrder,
  enqueueOrderChange,
  enqueueOrderIssued,
  withTransaction,
  type Order,
  type OrderCommand,
  type OrderScope,
  type OrderTopics,
  type Principal,
} from '@mod/db';
import { ApiError, conflict, notFound } from '../errors.js';
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
    /** The order's own events (a folded request's never include the shared order's). */
    history: Type.Array(
      Type.Object(
        { status: Type.String(), at: Time, actor: Type.String(), note: Nullable(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    /**
     * A request folded into an order that already covered the same kind, subject and target: its status,
     * deadline and clock are that order's (the target received one order); only `withdraw` applies to it.
     */
    folded: Type.Boolean(),
    /** The order a folded request is folded into: oversight (reviewers, admins) only; null for everyone else. */
    foldedInto: Nullable(Uuid),
  },
  { additionalProperties: false },
);

export const OrderParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Where this deployment's order messages go (each target's own topics, under the topic prefix). */
export function orderTopicsOf(deps: RouteDeps): OrderTopics {
  return { prefix: deps.topics.prefix };
}

/** Who folding's own audit records name (no authority: they must not reveal who folded). */
export const FOLDING_SERVICE = { kind: 'service', id: 'order-folding' } as const;

/**
 * Hooks every order command route shares, so that "no fields" is sent however a client sends it: no body, an
 * empty body (even with `content-type: application/json`) or `{}`. A route whose body fields are all optional
 * (confirm) then takes all three; a route with a required field answers its validation error; a route without
 * a body schema takes no fields (app.ts refuses any).
 */
export const COMMAND_ROUTE_HOOKS = {
  preParsing: async (req: FastifyRequest, _reply: FastifyReply, payload: RequestPayload) => {
    const h = req.headers;
    const length = h['content-length'];
    if ((length === undefined || length === '0') && h['transfer-encoding'] === undefined)
      delete h['content-type'];
    return payload;
  },
  preValidation: async (req: FastifyRequest) => {
    if (req.body === undefined || req.body === null) req.body = {};
  },
};

const orderFolded = (message: string) => new ApiError(409, 'MOD_ERR_API_ORDER_FOLDED', message);
const orderBound = (message: string) => new ApiError(409, 'MOD_ERR_API_ORDER_BOUND', message);

/**
 * Applies one lifecycle command for a caller, in ONE transaction with its order-events message, the webhook
 * to the other party and the audit record. An order outside the caller's `scope` (the route's `orderScopeOf`)
 * answers 404; a command the order's state does not allow answers 409 with the reason: MOD_ERR_API_ORDER_FOLDED
 * for anything but withdrawal of a folded request, MOD_ERR_API_ORDER_BOUND for an extension or pause a request
 * folded into the order does not allow (see `commandOrder` in @mod/db).
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
    if (!r.ok && r.code === 'folded') throw orderFolded(r.reason);
    if (!r.ok && r.code === 'bound') throw orderBound(r.reason);
    if (!r.ok) throw conflict(r.reason);
    // A folded request was never sent to the target: withdrawing it announces nothing.
    if (!r.order.folded)
      await enqueueOrderChange(c, {
        topics: orderTopicsOf(deps),
        order: r.order,
        event: r.event,
        actor,
        note: a.reason,
        now,
        notify: a.notify(r.order).filter((t) => t !== p.tenantId),
      });
    if (r.promoted !== null) {
      // The withdrawn order's folded requests still stand: the first of them goes to the target now.
      await enqueueOrderIssued(c, { topics: orderTopicsOf(deps), order: r.promoted, now });
      await appendAudit(c, {
        actor: FOLDING_SERVICE,
        action: 'order.promoted',
        subject: { type: 'order', id: r.promoted.id },
        reason: 'the order this request was folded into was withdrawn: it now stands as its own order',
        evidence: { deadlineAt: r.promoted.deadlineAt },
      });
    }
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
