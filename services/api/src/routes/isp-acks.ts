import { Type } from '@fastify/type-provider-typebox';
import { recordIspAcknowledgement, withTransaction } from '@mod/db';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { ErrorResponses, Text, Uuid, type RouteDeps, type TypedApp } from './common.js';

/**
 * ISPs acknowledge each blocking request: applied, or failed with a reason. Recorded on the order (an order
 * event and an audit record); another ISP's request, or an order that is not a blocking request, answers 404.
 */
export function ispAckRoutes(app: TypedApp, deps: RouteDeps): void {
  app.post(
    '/v1/isp/blocking-requests/:orderId/acknowledgements',
    {
      config: { roles: ['isp'], tenant: 'own' },
      schema: {
        params: Type.Object({ orderId: Uuid }, { additionalProperties: false }),
        body: Type.Object(
          {
            status: Type.Union([Type.Literal('applied'), Type.Literal('failed')]),
            reason: Type.Optional(Text(1000)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ orderId: Uuid, status: Type.String(), at: Type.String() }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { status, reason } = req.body;
      if (status === 'failed' && reason === undefined)
        throw badRequest('MOD_ERR_API_VALIDATION', 'a failed acknowledgement needs a reason');
      const recorded = await withTransaction(deps.db, (c) =>
        recordIspAcknowledgement(c, {
          orderId: req.params.orderId,
          ispTenantId: p.tenantId,
          status,
          reason: reason ?? null,
          actorId: p.keyId,
        }),
      );
      if (recorded === null) throw notFound('blocking request');
      return reply.code(201).send(recorded);
    },
  );
}
