import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { clearWebhookEndpoint, listWebhookOverviews, type WebhookOverview } from '@mod/db/orders';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import { ADMIN_ROUTE, TenantId, TenantIdParams, tenantPage, TenantPageQuery } from './access-schemas.js';
import { auditActor, ErrorResponses, Nullable, Timestamp, type RouteDeps, type TypedApp } from './common.js';
import { WEBHOOK_TENANT_KINDS, webhookTenantOf } from './order-webhook.js';

/**
 * A tenant's order webhook as the admin reads it. The answer is serialised through this schema, so nothing it does
 * not name (the signing secret above all) can leave, whatever the query reads.
 */
const Overview = Type.Object(
  {
    tenantId: TenantId,
    tenantKind: Type.String(),
    tenantName: Type.String(),
    url: Nullable(Type.String(), 'where order notices are pushed; null: no endpoint, nothing is pushed'),
    enabled: Type.Boolean(),
    secretSet: Type.Boolean({
      description: 'a signing secret is set (the secret itself is never shown again)',
    }),
    createdAt: Nullable(Timestamp, 'when the endpoint was first set'),
    updatedAt: Nullable(Timestamp, 'when it was last set (a new secret each time)'),
    lastChange: Nullable(
      Type.Object({
        action: Type.Union([Type.Literal('webhook.set'), Type.Literal('webhook.cleared')]),
        at: Timestamp,
        actor: Type.Object({ kind: Type.String(), id: Type.String() }),
        role: Nullable(Type.String()),
        tenantId: Nullable(Type.String()),
        seq: Type.Integer({ description: "the audit record's position in the log" }),
      }),
      'the last set or clear, as the audit log records it (null: set before the log named it, or never)',
    ),
    deliveries: Type.Object({
      pending: Type.Integer(),
      delivered: Type.Integer(),
      failed: Type.Integer({ description: 'given up after the last retry' }),
      cancelled: Type.Integer({
        description:
          'still queued when an endpoint was cleared or pointed at another URL: cancelled, never sent to the next',
      }),
      lastDeliveredAt: Nullable(Timestamp),
      lastAttempt: Nullable(
        Type.Object({
          at: Timestamp,
          ok: Type.Boolean({ description: 'the receiver answered 2xx' }),
          statusCode: Nullable(Type.Integer()),
          error: Nullable(Type.String()),
        }),
      ),
    }),
  },
  { additionalProperties: false },
);

const overviewOf = async (deps: RouteDeps, tenantId: string): Promise<WebhookOverview> => {
  const [overview] = await listWebhookOverviews(deps.db, { kinds: WEBHOOK_TENANT_KINDS, tenantId, limit: 1 });
  if (overview === undefined) throw notFound('tenant with an order webhook');
  return overview;
};

/**
 * The admin's reads of tenants' order webhooks (every ISP, platform and authority, with an endpoint or without),
 * and the clearing of one: the set is `PUT /v1/admin/tenants/:tenantId/order-webhook` (order-webhook.ts).
 */
export async function adminOrderWebhookReadRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/order-webhooks',
    {
      config: ADMIN_ROUTE,
      schema: {
        description:
          "Every ISP's, platform's and authority's order webhook, a page at a time by tenant id: its target, whether a secret is set (never the secret), who set it last (audit log) and its delivery health.",
        querystring: TenantPageQuery,
        response: {
          200: Type.Object({ webhooks: Type.Array(Overview), nextAfter: Nullable(TenantId) }),
          ...ErrorResponses,
        },
      },
    },
    async (req) =>
      tenantPage(
        'webhooks',
        req.query,
        (q) => listWebhookOverviews(deps.db, { kinds: WEBHOOK_TENANT_KINDS, ...q }),
        (w) => w.tenantId,
      ),
  );

  app.get(
    '/tenants/:tenantId/order-webhook',
    {
      config: ADMIN_ROUTE,
      schema: {
        description:
          "A tenant's order webhook: its target, whether a secret is set (never the secret), who set it last (audit log) and its delivery health. 404: no such tenant, or one nothing is pushed to.",
        params: TenantIdParams,
        response: { 200: Overview, ...ErrorResponses },
      },
    },
    async (req) => overviewOf(deps, req.params.tenantId),
  );

  app.delete(
    '/tenants/:tenantId/order-webhook',
    {
      config: ADMIN_ROUTE,
      schema: {
        description:
          "Clears a tenant's order webhook (its URL and secret): nothing is pushed to it from then on, and what was queued for it and not yet sent is cancelled (status 'cancelled' in the order's deliveries), never sent to an endpoint set later, which may be another receiver: a delivery belongs to the target it was queued for. Audited (webhook.cleared, evidence: the URL and the number of deliveries cancelled) when there was one; the answer is the webhook's overview and cancelledDeliveries, the number this clear cancelled (0 when there was nothing to clear).",
        params: TenantIdParams,
        response: {
          200: Type.Composite([
            Overview,
            Type.Object({
              cancelledDeliveries: Type.Integer({
                description: 'deliveries still queued for the cleared endpoint, cancelled by this clear',
              }),
            }),
          ]),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const tenantId = await webhookTenantOf(deps, req.params.tenantId);
      const cancelledDeliveries = await withTransaction(deps.db, async (c) => {
        const cleared = await clearWebhookEndpoint(c, tenantId, deps.now());
        if (cleared === null) return 0;
        await appendAudit(c, {
          ...auditActor(p),
          action: 'webhook.cleared',
          subject: { type: 'tenant', id: tenantId },
          reason: null,
          evidence: { url: cleared.url, cancelledDeliveries: cleared.cancelledDeliveries },
        });
        return cleared.cancelledDeliveries;
      });
      return { ...(await overviewOf(deps, tenantId)), cancelledDeliveries };
    },
  );
}
