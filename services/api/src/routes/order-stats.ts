import { Type } from '@fastify/type-provider-typebox';
import { orderStats } from '@mod/db/orders';
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

/**
 * How fast targets comply: per target, per kind and overall, time to acknowledge and to action (median, p90),
 * share within deadline, open / overdue / paused counts, received versus handled, over the orders the caller
 * sees (`orderScopeFor`): targets their own, an authority its own orders, reviewers and admins everyone's.
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
                  { targetTenantId: Type.String(), ...statsFields },
                  { additionalProperties: false },
                ),
              ),
              byKind: Type.Array(
                Type.Object({ kind: Type.String(), ...statsFields }, { additionalProperties: false }),
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
      const report = await orderStats(deps.db, {
        scope: orderScopeOf(req),
        now: at,
        ...(req.query.since === undefined ? {} : { since: new Date(req.query.since) }),
      });
      return { at: at.toISOString(), ...report };
    },
  );
}
