import { isIP } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { getTenant, type Principal, type TenantKind } from '@mod/db/access';
import { appendAudit } from '@mod/db/audit';
import { getWebhookEndpoint, setWebhookEndpoint } from '@mod/db/orders';
import { normalizeUrl } from '@mod/urls';
import { checkHost, type HostCheckOptions } from '@mod/urls/fetch';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { ADMIN_ROUTE, TenantIdParams } from './access-schemas.js';
import { auditActor, ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

/**
 * How webhook targets are resolved and vetted at registration. Default: the system resolver and the production
 * address policy, 5 s. Tests inject a resolver (and, to stand a loopback receiver in for a public host, a policy).
 */
export type WebhookTargetCheck = Pick<HostCheckOptions, 'resolver' | 'addressPolicy' | 'timeoutMs'>;

export interface OrderWebhookDeps extends RouteDeps {
  webhookTargets?: WebhookTargetCheck;
}

/** Who reads its tenant's endpoint: the targets of orders, and authorities (escalations are pushed to them). */
const READERS = ['isp', 'platform', 'authority'] as const;
/**
 * Who points its own tenant's endpoint somewhere: the integration roles, machines' only (ISPs and platforms have
 * no people). An authority's endpoint receives every escalation and notice of its orders; its officers (people
 * and keys of role authority) and reviewers work orders and cases, they do not run integrations, so the system
 * admin sets it (`PUT /v1/admin/tenants/:tenantId/order-webhook`), as it sets an ISP's feed settings.
 */
const SETTERS = ['isp', 'platform'] as const;
/** Tenants that have an order webhook: those orders (or escalations) are addressed to. */
export const WEBHOOK_TENANT_KINDS: readonly TenantKind[] = ['isp', 'platform', 'authority'];

/** The tenant `id` if it is one with an order webhook; else 404 (no such tenant, or one nothing is pushed to). */
export async function webhookTenantOf(deps: RouteDeps, id: string): Promise<string> {
  const tenant = await getTenant(deps.db, id);
  if (tenant === null || !WEBHOOK_TENANT_KINDS.includes(tenant.kind))
    throw notFound('tenant with an order webhook');
  return tenant.id;
}
const EndpointBody = Type.Object(
  { tenantId: Type.String(), url: Type.String(), enabled: Type.Boolean() },
  { additionalProperties: false },
);
const SetBody = Type.Object(
  {
    url: Type.String({ minLength: 10, maxLength: 2000 }),
    enabled: Type.Optional(Type.Boolean()),
    requeue: Type.Optional(
      Type.Boolean({
        description:
          'when the URL changes: send what is still queued for the old URL to the new one (signed with the new secret) instead of cancelling it. Default false. Audited.',
      }),
    ),
  },
  { additionalProperties: false },
);
const SetAnswer = Type.Object(
  {
    tenantId: Type.String(),
    url: Type.String(),
    enabled: Type.Boolean(),
    secret: Type.String(),
    cancelledDeliveries: Type.Integer({
      description: 'deliveries still queued for the previous URL, cancelled because the URL changed',
    }),
    requeuedDeliveries: Type.Integer({
      description: 'deliveries still queued for the previous URL, sent to the new one instead (requeue)',
    }),
  },
  { additionalProperties: false },
);

/**
 * An HTTPS URL on a public-looking name: no IP literals, no single-label or local names (a trailing dot, the
 * absolute form of a name, changes nothing). What the name resolves to is checked next (`checkHost`).
 */
function publicHttpsUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw badRequest('MOD_ERR_API_VALIDATION', 'url is not a URL');
  }
  const host = u.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '')
    .toLowerCase();
  if (
    u.protocol !== 'https:' ||
    u.username !== '' ||
    u.password !== '' ||
    isIP(host) !== 0 ||
    !host.includes('.') ||
    /(^|\.)(localhost|local|internal|localdomain)$/.test(host)
  )
    throw badRequest(
      'MOD_ERR_API_VALIDATION',
      'url must be https:// on a public host name, without credentials',
    );
  return u.toString();
}

/**
 * Resolves the target's name and refuses it unless every address is public (not loopback, private, link-local,
 * CGNAT, multicast, metadata, reserved...). Deliveries check again when they connect (DNS answers change); this
 * check tells the tenant now rather than at the first order. One answer for every refusal, so that the API
 * tells nobody which internal names exist; the log has the detail.
 */
async function requirePublicTarget(
  url: string,
  check: WebhookTargetCheck,
  log: { info: (o: object, m: string) => void },
): Promise<void> {
  const normalized = normalizeUrl(url);
  const verdict = normalized.ok
    ? await checkHost(normalized.url.host, { timeoutMs: 5_000, ...check })
    : { ok: false as const, reason: 'bad-url', detail: normalized.error.message };
  if (verdict.ok) return;
  log.info({ reason: verdict.reason, detail: verdict.detail }, 'webhook target refused');
  throw badRequest(
    'MOD_ERR_API_WEBHOOK_TARGET_REFUSED',
    'the webhook host must resolve, and only to public addresses',
  );
}

/**
 * Points `tenantId`'s order webhook at `body.url` (checked: public https, resolving to public addresses only) and
 * issues a new signing secret, audited (`webhook.set`, naming the caller) in the transaction that sets it. What is
 * still queued for another URL is cancelled, or sent to this one when `requeue` asks (`setWebhookEndpoint`); the
 * record names the URL before and both counts.
 */
async function setEndpointAudited(
  deps: OrderWebhookDeps,
  p: Principal,
  tenantId: string,
  body: { url: string; enabled?: boolean; requeue?: boolean },
  log: { info: (o: object, m: string) => void },
) {
  const url = publicHttpsUrl(body.url);
  await requirePublicTarget(url, deps.webhookTargets ?? {}, log);
  const requeue = body.requeue ?? false;
  return withTransaction(deps.db, async (c) => {
    const set = await setWebhookEndpoint(c, {
      tenantId,
      url,
      enabled: body.enabled ?? true,
      requeue,
      now: deps.now(),
    });
    const { cancelledDeliveries, requeuedDeliveries } = set;
    await appendAudit(c, {
      ...auditActor(p),
      action: 'webhook.set',
      subject: { type: 'tenant', id: tenantId },
      reason: null,
      evidence: {
        url,
        enabled: set.enabled,
        ...(set.previousUrl === url ? {} : { previousUrl: set.previousUrl, requeue }),
        cancelledDeliveries,
        requeuedDeliveries,
      },
    });
    return {
      tenantId,
      url,
      enabled: set.enabled,
      secret: set.secret,
      cancelledDeliveries,
      requeuedDeliveries,
    };
  });
}

/**
 * Targets say where their orders are pushed (authorities read where their escalations go; the admin sets it:
 * `adminOrderWebhookRoutes`). Setting the endpoint issues a new signing secret, shown in this answer only; a new
 * URL cancels what was queued for the old one unless `requeue` says to send it there;
 * receivers check HMAC-SHA256 over `<t>.<body>` (header `x-mod-signature: t=…,v1=…`) and drop repeats of
 * `x-mod-delivery`.
 */
export async function orderWebhookRoutes(app: TypedApp, deps: OrderWebhookDeps): Promise<void> {
  app.put(
    '',
    {
      config: { roles: [...SETTERS], tenant: 'own' },
      schema: {
        description:
          "Points the caller's tenant's order webhook (ISPs' and platforms' integrations), with a new signing secret. A delivery belongs to the URL it was queued for: when the URL changes, what is still queued for the old one is cancelled (cancelledDeliveries; status 'cancelled' in the order's deliveries), never sent to the new URL, unless requeue is true (requeuedDeliveries: sent to the new URL, signed with the new secret). The same URL set again keeps what is queued. Audited (webhook.set: the URL, the one before when it changed, requeue and both counts). An authority's is set by an admin: PUT /v1/admin/tenants/:tenantId/order-webhook (anyone else: 403, audited).",
        body: SetBody,
        response: { 200: SetAnswer, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return setEndpointAudited(deps, p, p.tenantId, req.body, req.log);
    },
  );

  app.get(
    '',
    {
      config: { roles: [...READERS], tenant: 'own' },
      schema: { response: { 200: EndpointBody, ...ErrorResponses } },
    },
    async (req) => {
      const e = await getWebhookEndpoint(deps.db, principalOf(req).tenantId);
      if (e === null) throw notFound('webhook endpoint');
      return { tenantId: e.tenantId, url: e.url, enabled: e.enabled };
    },
  );
}

/**
 * The order webhook of any tenant orders or escalations are addressed to (admins, under `/v1/admin`): how an
 * authority's endpoint is set, since its officers may not repoint it. The same checks, secret and audit record as
 * a target's own `PUT /v1/order-webhook`.
 */
export async function adminOrderWebhookRoutes(app: TypedApp, deps: OrderWebhookDeps): Promise<void> {
  app.put(
    '/tenants/:tenantId/order-webhook',
    {
      config: ADMIN_ROUTE,
      schema: {
        description:
          "Points a tenant's order webhook (an authority's, an ISP's or a platform's), as PUT /v1/order-webhook does for the tenant's own: a new signing secret, and what is still queued for another URL cancelled unless requeue is true; audited (webhook.set).",
        params: TenantIdParams,
        body: SetBody,
        response: { 200: SetAnswer, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenantId = await webhookTenantOf(deps, req.params.tenantId);
      return setEndpointAudited(deps, principalOf(req), tenantId, req.body, req.log);
    },
  );
}
