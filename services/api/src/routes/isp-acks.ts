import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { ACK_AUDIT_ACTION, recordIspAcknowledgement } from '@mod/db/feeds';
import { actorLabelOf, principalOf } from '../auth.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { auditCallerChange, ErrorResponses, Text, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { orderTopicsOf } from './order-commands.js';

const AckBody = Type.Object(
  {
    orderId: Uuid,
    /** The acknowledgement as sent. */
    status: Type.Union([Type.Literal('applied'), Type.Literal('failed')]),
    /** The order-history event it recorded (`actioned` or `action-failed`). */
    event: Type.String(),
    /** The order's status afterwards (`actioned` after applied, `reopened` after failed). */
    orderStatus: Type.String(),
    /** True when the order already reflected this acknowledgement: nothing new was recorded. */
    duplicate: Type.Boolean(),
    at: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * ISPs acknowledge each blocking request: applied, or failed with a reason. The acknowledgement drives the order
 * lifecycle (applied: `actioned`; failed: `reopened`, the block is owed again), is announced on the order-events
 * topic and audited as the order routes' answers are (`auditCallerChange`: the record names the key or client
 * certificate it was sent with). The same acknowledgement again answers 200 with `duplicate: true` and records
 * nothing; one the order's state does not allow (e.g. a withdrawn request) answers 409. Another ISP's request, or
 * an order that is not a blocking request, answers 404.
 */
export async function ispAckRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;
  app.post(
    '/blocking-requests/:orderId/acknowledgements',
    {
      config: { roles: ['isp'], tenant: 'own' },
      schema: {
        params: Type.Object({ orderId: Uuid }, { additionalProperties: false }),
        body: Type.Object(
          {
            status: Type.Union([Type.Literal('applied'), Type.Literal('failed')]),
            /** Required with `failed`; an optional note with `applied`. */
            reason: Type.Optional(Text(1000)),
          },
          { additionalProperties: false },
        ),
        response: { 200: AckBody, 201: AckBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { status, reason } = req.body;
      if (status === 'failed' && reason === undefined)
        throw badRequest('MOD_ERR_API_VALIDATION', 'a failed acknowledgement needs a reason');
      const outcome = await withTransaction(deps.db, async (c) => {
        const r = await recordIspAcknowledgement(c, {
          orderId: req.params.orderId,
          ispTenantId: p.tenantId,
          status,
          reason: reason ?? null,
          actor: actorLabelOf(p),
          now: now(),
          topics: orderTopicsOf(deps),
        });
        if (r.kind === 'recorded' && !r.duplicate)
          await auditCallerChange(c, p, {
            action: ACK_AUDIT_ACTION[status],
            subject: { type: 'order', id: r.orderId },
            reason: reason ?? null,
            evidence: { from: r.from, to: r.orderStatus, event: r.event },
          });
        return r;
      });
      if (outcome.kind === 'not-found') throw notFound('blocking request');
      if (outcome.kind === 'invalid-transition') throw conflict(outcome.reason);
      const { duplicate, orderId, event, orderStatus, at } = outcome;
      return reply.code(duplicate ? 200 : 201).send({ orderId, status, event, orderStatus, duplicate, at });
    },
  );
}
