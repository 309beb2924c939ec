import { Type } from '@fastify/type-provider-typebox';
import { orderStats, orderStatusByDay } from '@mod/db/orders';
import { OrderStatuses } from '@mod/orders';
import { orderScopeOf } from '../auth.js';
import {
  ErrorResponses,
  ORDER_OVERSIGHT_ROLES,
  ORDER_READERS,
  Timestamp,
  type RouteDeps,
  type TypedApp,
} from './common.js';

const Seconds = Type.Object(
  { median: Type.Union([Type.Number(), Type.Null()]), p90: Type.Union([Type.Number(), Type.Null()]) },
  { additionalProperties: false },
);
const statsFields = {
  received: Type.Integer(),
  handled: Type.Integer(),
  open: Type.Integer(),
  overdue: Type.Integer(),
  paused: Type.Integer(),
  acknowledgeSeconds: Seconds,
  actionSeconds: Seconds,
  withinDeadlineShare: Type.Union([Type.Number(), Type.Null()]),
};

/** Orders in each status at a day's end. */
const StatusCounts = Type.Object(
  Object.fromEntries(OrderStatuses.map((st) => [st, Type.Integer({ minimum: 0 })])) as Record<
    (typeof OrderStatuses)[number],
    ReturnType<typeof Type.Integer>
  >,
  { additionalProperties: false },
);

/**
 * How fast targets comply: per target, per kind and overall, time to acknowledge and to action (median, p90),
 * share within deadline, open / overdue / paused counts, received versus handled, over the orders the caller
 * sees (`orderScopeFor`): targets their own, an authority its own orders, reviewers and admins everyone's; and
 * orders by status over time (`byDay`: each day's end in Asia/Ho_Chi_Minh, from `since`'s day or the last 30 days).
 */
export async function orderStatsRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;
  app.get(
    '',
    {
      config: { roles: ORDER_READERS, tenant: 'order', crossTenant: ORDER_OVERSIGHT_ROLES },
      schema: {
        querystring: Type.Object({ since: Type.Optional(Timestamp) }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            {
              at: Type.String(),
              overall: Type.Object(statsFields, { additionalProperties: false }),
              byTarget: Type.Array(
                Type.Object(
                  {
                    targetTenantId: Type.String(),
                    targetKind: Type.Union([Type.String({ description: 'isp or platform' }), Type.Null()]),
                    ...statsFields,
                  },
                  { additionalProperties: false },
                ),
              ),
              byKind: Type.Array(
                Type.Object({ kind: Type.String(), ...statsFields }, { additionalProperties: false }),
              ),
              byDay: Type.Array(
                Type.Object(
                  {
                    day: Type.String({ format: 'date', description: 'a day in Asia/Ho_Chi_Minh' }),
                    byStatus: StatusCounts,
                  },
                  { additionalProperties: false },
                ),
                {
                  description:
                    "orders by status over time: how many of the caller's orders stood in each status at each " +
                    "day's end (today: now), from `since`'s day (at most 366 days) or over the last 30 days",
                },
              ),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const at = now();
      const window = {
        scope: orderScopeOf(req),
        now: at,
        ...(req.query.since === undefined ? {} : { since: new Date(req.query.since) }),
      };
      const report = await orderStats(deps.db, window);
      return { at: at.toISOString(), ...report, byDay: await orderStatusByDay(deps.db, window) };
    },
  );
}
