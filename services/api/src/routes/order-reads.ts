import { Type } from '@fastify/type-provider-typebox';
import { getOrder, listOrders } from '@mod/db/orders';
import { orderScopeOf } from '../auth.js';
import { notFound } from '../errors.js';
import {
  ErrorResponses,
  MAX_PAGE,
  nextCursorAfter,
  ORDER_OVERSIGHT_ROLES,
  ORDER_READERS,
  pagePosition,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { blockApplicationOf } from './order-application.js';
import { OrderBody, OrderParams } from './order-schemas.js';

/** Who reads orders, and which (`orderScopeFor`): targets and authorities their own, oversight all. */
const readers = { roles: ORDER_READERS, tenant: 'order', crossTenant: ORDER_OVERSIGHT_ROLES } as const;

/**
 * Orders, scoped: ISPs and platforms see orders addressed to them; an authority the orders it issued or
 * confirmed and automatic orders awaiting confirmation; reviewers and admins all. One blocking request read
 * alone also says how its ISP applies it (`application`).
 */
export async function orderReadRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;
  app.get(
    '/:id',
    {
      config: readers,
      schema: { params: OrderParams, response: { 200: OrderBody, ...ErrorResponses } },
    },
    async (req) => {
      const order = await getOrder(deps.db, req.params.id, orderScopeOf(req), now());
      if (order === null) throw notFound('order');
      const application = await blockApplicationOf(deps, order);
      return application === null ? order : { ...order, application };
    },
  );

  app.get(
    '',
    {
      config: readers,
      schema: {
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Union([Type.Literal('blocking'), Type.Literal('takedown')])),
            status: Type.Optional(Type.String({ pattern: '^[a-z-]{1,30}$' })),
            submissionId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              orders: Type.Array(OrderBody),
              /** Pass as `cursor` for the next page; null on the last page. */
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const after = pagePosition(q.cursor);
      const orders = await listOrders(deps.db, {
        scope: orderScopeOf(req),
        now: now(),
        limit,
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.submissionId === undefined ? {} : { submissionId: q.submissionId }),
        ...(after === undefined ? {} : { after: { createdAt: after.createdAt.toISOString(), id: after.id } }),
      });
      return {
        orders,
        nextCursor: nextCursorAfter(orders, limit, (last) => ({
          createdAt: new Date(last.createdAt),
          id: last.id,
        })),
      };
    },
  );
}
