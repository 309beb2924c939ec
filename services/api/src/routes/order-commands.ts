import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { withTransaction, type PoolClient } from '@mod/db';
import { type Principal, type Role } from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import {
  closeSettledConfirmationCases,
  commandOrder,
  enqueueOrderChange,
  enqueueOrderIssued,
  type Order,
  type OrderCommand,
  type OrderScope,
  type OrderTopics,
} from '@mod/db/orders';
import { actorLabelOf, orderScopeOf, principalOf } from '../auth.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { auditCallerChange, ErrorResponses, Text, type RouteDeps, type TypedApp } from './common.js';
import { OrderBody, OrderParams } from './order-schemas.js';

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
 * folded into the order does not allow (see `commandOrder` in @mod/db). A confirmation or withdrawal closes, in the
 * same transaction, the confirmation cases it leaves with nothing to confirm (`closeSettledConfirmations`).
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
    /** Whether the authorities of the requests folded into the order hear of it too (`enqueueOrderChange`). */
    notifyFolded?: boolean;
  },
): Promise<Order> {
  const now = deps.now();
  const actor = actorLabelOf(p);
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
        notifyFolded: a.notifyFolded === true,
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
    await auditCallerChange(c, p, {
      action: a.action,
      subject: { type: 'order', id: a.id },
      reason: a.reason,
      evidence: {
        from: r.before,
        to: r.order.status,
        event: r.event,
        deadlineAt: r.order.deadlineAt,
      },
    });
    if (a.command.type === 'confirm' || a.command.type === 'withdraw')
      await closeSettledConfirmations(c, p, { orderId: a.id, event: r.event, at: now, by: actor });
    return r.order;
  });
}

/**
 * After an authority confirmed or withdrew an order: the confirmation cases naming it that no longer await the
 * authority close, each audited in the caller's name. Their kept media's retention clock starts there (@mod/db
 * `closeSettledConfirmationCases`); without this, a reviewer's confirmation would keep its media for ever.
 */
async function closeSettledConfirmations(
  c: PoolClient,
  p: Principal,
  o: { orderId: string; event: string; at: Date; by: string },
): Promise<void> {
  const closed = await closeSettledConfirmationCases(c, {
    orderId: o.orderId,
    closedAt: o.at,
    closedBy: o.by,
  });
  for (const done of closed)
    await auditCallerChange(c, p, {
      action: 'case.closed',
      subject: { type: 'case', id: done.id },
      reason: `order ${o.orderId} ${o.event}: no order of this confirmation case awaits an authority`,
      evidence: { kind: 'confirm', orderId: o.orderId, orderIds: done.orderIds },
    });
}

/** The body of a command that takes a reason (pause, withdraw, dispute). */
export const ReasonBody = Type.Object({ reason: Text(2000) }, { additionalProperties: false });

/** Who may send an order command: roles, the order tenant rule, and the roles that reach every order. */
export interface OrderCommandAccess {
  roles: readonly Role[];
  tenant: 'order';
  crossTenant?: readonly Role[];
}

/** What a request asks of an order: the lifecycle command and the reason recorded and announced with it. */
export interface AskedCommand {
  command: OrderCommand;
  reason: string | null;
}

/** One order command route: `POST /:id/<verb>` under the orders prefix (`/v1/orders`). */
export interface OrderCommandRoute<B extends TSchema> {
  verb: string;
  access: OrderCommandAccess;
  /** The body's schema; without one the route takes no fields (see `COMMAND_ROUTE_HOOKS`). */
  body?: B;
  /** The audit record's action, e.g. `order.confirmed`. */
  action: string;
  /** The tenants told of the change besides the caller's own (`commandForCaller` leaves that one out). */
  notify: (o: Order) => string[];
  /**
   * Whether the authorities answerable for each request folded into the order are told too, each of its own
   * request (the target's answers: they are owed to every authority whose request the order carries).
   */
  notifyFolded?: boolean;
  /** The command a request asks for; `order` is the order it names and the caller's scope (extend reads it). */
  command: (
    body: Static<B>,
    order: { id: string; scope: OrderScope },
  ) => AskedCommand | Promise<AskedCommand>;
}

/**
 * Declares an order command route: the shared hooks, the order params, the body if any, the order as answer,
 * and the command applied for the caller within its order scope (`commandForCaller`).
 */
export function orderCommandRoute<B extends TSchema>(
  app: TypedApp,
  deps: RouteDeps,
  route: OrderCommandRoute<B>,
): void {
  app.post(
    `/:id/${route.verb}`,
    {
      ...COMMAND_ROUTE_HOOKS,
      config: route.access,
      schema: {
        params: OrderParams,
        ...(route.body === undefined ? {} : { body: route.body }),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const id = req.params.id;
      const scope = orderScopeOf(req);
      const asked = await route.command(req.body, { id, scope });
      return commandForCaller(deps, principalOf(req), scope, {
        id,
        ...asked,
        action: route.action,
        notify: route.notify,
        notifyFolded: route.notifyFolded === true,
      });
    },
  );
}
