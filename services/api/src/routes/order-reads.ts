import { Type } from '@fastify/type-provider-typebox';
import { getOrder, listOrders } from '@mod/db/orders';
import { orderScopeOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import {
  ErrorResponses,
  MAX_PAGE,
  ORDER_OVERSIGHT_ROLES,
  ORDER_READERS,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { OrderBody, OrderParams } from './order-schemas.js';

/** Who reads orders, and which (`orderScopeFor`): targets and authorities their own, oversight all. */
const readers = { roles: ORDER_READERS, tenant: 'order', crossTenant: ORDER_OVERSIGHT_ROLES } as const;

/**
 * Orders, scoped: ISPs and platforms see orders addressed to them; an authority the orders it issued or
 * confirmed and automatic orders awaiting confirmation; reviewers and admins all.
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
      return order;
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
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const orders = await listOrders(deps.db, {
        scope: orderScopeOf(req),
        now: now(),
        limit,
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.submissionId === undefined ? {} : { submissionId: q.submissionId }),
        ...(after === undefined ? {} : { after }),
      });
      const last = orders.at(-1);
      return {
        orders,
        nextCursor:
          orders.length === limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
      };
    },
  );
}

function encodeCursor(c: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** What `encodeCursor` writes: an order's id and its creation time as `toISOString` gives it (years 1000-9999). */
const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CURSOR_TIME = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The position a cursor names. Only what `encodeCursor` could have written passes: a hand-made cursor with a
 * time or id the database cannot read (a year out of its range, a time only JavaScript parses, 36 dashes for an
 * id) would otherwise fail in the query and answer 500.
 */
function decodeCursor(s: string): { createdAt: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as {
      createdAt?: unknown;
      id?: unknown;
    };
    if (
      typeof c.createdAt === 'string' &&
      CURSOR_TIME.test(c.createdAt) &&
      new Date(c.createdAt).toISOString() === c.createdAt &&
      typeof c.id === 'string' &&
      CURSOR_ID.test(c.id)
    ) {
      return { createdAt: c.createdAt, id: c.id };
    }
  } catch {
    // fall through to the typed error (an impossible date such as month 13 throws in toISOString)
  }
  throw badRequest('MOD_ERR_API_BAD_CURSOR', 'cursor is not one this API issued');
}
