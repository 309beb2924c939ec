import { isIP } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import { appendAudit, getWebhookEndpoint, setWebhookEndpoint, withTransaction } from '@mod/db';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

const ROLES = ['isp', 'platform', 'authority'] as const;
const EndpointBody = Type.Object(
  { tenantId: Type.String(), url: Type.String(), enabled: Type.Boolean() },
  { additionalProperties: false },
);

/**
 * An HTTPS URL on a public name: no IP literals, no single-label or local names. (The sender should still go
 * through the SSRF-safe fetcher, which also checks what the name resolves to.)
 */
function publicHttpsUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw badRequest('MOD_ERR_API_VALIDATION', 'url is not a URL');
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
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
 * Targets (and authorities, for escalations) say where their orders are pushed. Setting the endpoint issues a
 * new signing secret, shown in this answer only; receivers check HMAC-SHA256 over `<t>.<body>` (header
 * `x-mod-signature: t=…,v1=…`) and drop repeats of `x-mod-delivery`.
 */
export function orderWebhookRoutes(app: TypedApp, deps: RouteDeps): void {
  app.put(
    '/v1/order-webhook',
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
      return withTransaction(deps.db, async (c) => {
        const endpoint = await setWebhookEndpoint(c, {
          tenantId: p.tenantId,
          url,
          enabled: req.body.enabled ?? true,
        });
        await appendAudit(c, {
          actor: { kind: 'user', id: p.keyId },
          role: p.role,
          tenantId: p.tenantId,
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
    '/v1/order-webhook',
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
