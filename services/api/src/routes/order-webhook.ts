import { isIP } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { getWebhookEndpoint, setWebhookEndpoint } from '@mod/db/orders';
import { normalizeUrl } from '@mod/urls';
import { checkHost, type HostCheckOptions } from '@mod/urls/fetch';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { auditActor, ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

/**
 * How webhook targets are resolved and vetted at registration. Default: the system resolver and the production
 * address policy, 5 s. Tests inject a resolver (and, to stand a loopback receiver in for a public host, a policy).
 */
export type WebhookTargetCheck = Pick<HostCheckOptions, 'resolver' | 'addressPolicy' | 'timeoutMs'>;

export interface OrderWebhookDeps extends RouteDeps {
  webhookTargets?: WebhookTargetCheck;
}

const ROLES = ['isp', 'platform', 'authority'] as const;
const EndpointBody = Type.Object(
  { tenantId: Type.String(), url: Type.String(), enabled: Type.Boolean() },
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
 * Targets (and authorities, for escalations) say where their orders are pushed. Setting the endpoint issues a
 * new signing secret, shown in this answer only; receivers check HMAC-SHA256 over `<t>.<body>` (header
 * `x-mod-signature: t=…,v1=…`) and drop repeats of `x-mod-delivery`.
 */
export async function orderWebhookRoutes(app: TypedApp, deps: OrderWebhookDeps): Promise<void> {
  app.put(
    '',
    {
      config: { roles: [...ROLES], tenant: 'own' },
      schema: {
        body: Type.Object(
          { url: Type.String({ minLength: 10, maxLength: 2000 }), enabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { tenantId: Type.String(), url: Type.String(), enabled: Type.Boolean(), secret: Type.String() },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const url = publicHttpsUrl(req.body.url);
      await requirePublicTarget(url, deps.webhookTargets ?? {}, req.log);
      return withTransaction(deps.db, async (c) => {
        const endpoint = await setWebhookEndpoint(c, {
          tenantId: p.tenantId,
          url,
          enabled: req.body.enabled ?? true,
        });
        await appendAudit(c, {
          ...auditActor(p),
          action: 'webhook.set',
          subject: { type: 'tenant', id: p.tenantId },
          reason: null,
          evidence: { url, enabled: endpoint.enabled },
        });
        return endpoint;
      });
    },
  );

  app.get(
    '',
    {
      config: { roles: [...ROLES], tenant: 'own' },
      schema: { response: { 200: EndpointBody, ...ErrorResponses } },
    },
    async (req) => {
      const e = await getWebhookEndpoint(deps.db, principalOf(req).tenantId);
      if (e === null) throw notFound('webhook endpoint');
      return { tenantId: e.tenantId, url: e.url, enabled: e.enabled };
    },
  );
}
