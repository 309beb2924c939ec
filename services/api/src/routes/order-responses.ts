import { Type } from '@fastify/type-provider-typebox';
import { getOrder, listWebhookDeliveries } from '@mod/db';
import { orderScopeOf, principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import {
  ErrorResponses,
  ORDER_OVERSIGHT_ROLES,
  ORDER_READERS,
  Text,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { COMMAND_ROUTE_HOOKS, commandForCaller, OrderBody, OrderParams } from './order-schemas.js';

const TARGETS = ['isp', 'platform'] as const;
/** Targets answer only orders addressed to them (no oversight role answers for a target). */
const targetRoute = { roles: [...TARGETS], tenant: 'order' as const };
/** Issuing authority hears about every target response. */
const notifyIssuer = (o: { issuerTenantId: string | null }) =>
  o.issuerTenantId === null ? [] : [o.issuerTenantId];

/**
 * Targets answer the orders addressed to them: dispute (with a reason), acknowledge, report the action taken
 * (with a note; a takedown is then re-fetched before it counts as verified). Another tenant's order is 404;
 * an answer the order's state does not allow is 409.
 */
export function orderResponseRoutes(app: TypedApp, deps: RouteDeps): void {
  app.post(
    '/v1/orders/:id/dispute',
    {
      ...COMMAND_ROUTE_HOOKS,
      config: targetRoute,
      schema: {
        params: OrderParams,
        body: Type.Object({ reason: Text(2000) }, { additionalProperties: false }),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'dispute', reason: req.body.reason },
        action: 'order.disputed',
        reason: req.body.reason,
        notify: notifyIssuer,
      }),
  );

  app.post(
    '/v1/orders/:id/acknowledge',
    {
      ...COMMAND_ROUTE_HOOKS,
      config: targetRoute,
      schema: { params: OrderParams, response: { 200: OrderBody, ...ErrorResponses } },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'acknowledge' },
        action: 'order.acknowledged',
        reason: null,
        notify: notifyIssuer,
      }),
  );

  app.post(
    '/v1/orders/:id/actioned',
    {
      ...COMMAND_ROUTE_HOOKS,
      config: targetRoute,
      schema: {
        params: OrderParams,
        body: Type.Object({ note: Text(2000) }, { additionalProperties: false }),
        response: { 200: OrderBody, ...ErrorResponses },
      },
    },
    async (req) =>
      commandForCaller(deps, principalOf(req), orderScopeOf(req), {
        id: req.params.id,
        command: { type: 'action', note: req.body.note },
        action: 'order.actioned',
        reason: req.body.note,
        notify: notifyIssuer,
      }),
  );

  app.get(
    '/v1/orders/:id/deliveries',
    {
      config: { roles: ORDER_READERS, tenant: 'order', crossTenant: ORDER_OVERSIGHT_ROLES },
      schema: {
        params: OrderParams,
        response: {
          200: Type.Object(
            {
              orderId: Type.String(),
              deliveries: Type.Array(
                Type.Object(
                  {
                    id: Type.String(),
                    event: Type.String(),
                    status: Type.String(),
                    attempts: Type.Array(
                      Type.Object(
                        {
                          attempt: Type.Integer(),
                          at: Type.String(),
                          statusCode: Type.Union([Type.Integer(), Type.Null()]),
                          error: Type.Union([Type.String(), Type.Null()]),
                          durationMs: Type.Integer(),
                        },
                        { additionalProperties: false },
                      ),
                    ),
                    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
                    deliveredAt: Type.Union([Type.String(), Type.Null()]),
                    createdAt: Type.String(),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const order = await getOrder(deps.db, req.params.id, orderScopeOf(req));
      if (order === null) throw notFound('order');
      return { orderId: order.id, deliveries: await listWebhookDeliveries(deps.db, order.id) };
    },
  );
}
