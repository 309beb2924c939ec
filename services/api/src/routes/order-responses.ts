import { Type } from '@fastify/type-provider-typebox';
import { getOrder, listWebhookDeliveries } from '@mod/db/orders';
import { answerableAuthorities } from '@mod/orders';
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
import { orderCommandRoute, ReasonBody } from './order-commands.js';
import { OrderParams } from './order-schemas.js';

const TARGETS = ['isp', 'platform'] as const;
/** Targets answer only orders addressed to them (no oversight role answers for a target). */
const targetRoute = { roles: [...TARGETS], tenant: 'order' as const };

/**
 * Targets answer the orders addressed to them: dispute (with a reason), acknowledge, report the action taken
 * (with a note; a takedown is then re-fetched before it counts as verified). Each answer is told to the
 * authorities answerable for the order and for every request folded into it. Another tenant's order is 404;
 * an answer the order's state does not allow is 409.
 */
export async function orderResponseRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  orderCommandRoute(app, deps, {
    verb: 'dispute',
    access: targetRoute,
    body: ReasonBody,
    action: 'order.disputed',
    notify: answerableAuthorities,
    notifyFolded: true,
    command: (b) => ({ command: { type: 'dispute', reason: b.reason }, reason: b.reason }),
  });
  orderCommandRoute(app, deps, {
    verb: 'acknowledge',
    access: targetRoute,
    action: 'order.acknowledged',
    notify: answerableAuthorities,
    notifyFolded: true,
    command: () => ({ command: { type: 'acknowledge' }, reason: null }),
  });
  orderCommandRoute(app, deps, {
    verb: 'actioned',
    access: targetRoute,
    body: Type.Object({ note: Text(2000) }, { additionalProperties: false }),
    action: 'order.actioned',
    notify: answerableAuthorities,
    notifyFolded: true,
    command: (b) => ({ command: { type: 'action', note: b.note }, reason: b.note }),
  });

  app.get(
    '/:id/deliveries',
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
      const scope = orderScopeOf(req);
      const order = await getOrder(deps.db, req.params.id, scope);
      if (order === null) throw notFound('order');
      // A party reads the deliveries to its own endpoint only (not the other party's URL failures); oversight all.
      const to = scope.all ? null : principalOf(req).tenantId;
      return { orderId: order.id, deliveries: await listWebhookDeliveries(deps.db, order.id, to) };
    },
  );
}
