import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { createApiKey, getApiKey, getTenant, listApiKeys, setApiKeyRole } from '@mod/db/access';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import {
  ADMIN_ROUTE,
  KeyBody,
  KeyIdParams,
  NewKeyBody,
  RoleSchema,
  TenantIdParams,
} from './access-schemas.js';
import { ErrorResponses, MAX_PAGE, type RouteDeps, type TypedApp } from './common.js';
import {
  auditCredentialChange,
  issueCredentialRoute,
  requireRoleFor,
  revokeKeyAudited,
} from './credentials.js';

/** API keys of any tenant: list, create (the secret is shown once), revoke, change the role. */
export async function adminKeyRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/tenants/:tenantId/keys',
    {
      config: ADMIN_ROUTE,
      schema: {
        params: TenantIdParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ keys: Type.Array(KeyBody) }), ...ErrorResponses },
      },
    },
    async (req) => {
      if ((await getTenant(deps.db, req.params.tenantId)) === null) throw notFound('tenant');
      return { keys: await listApiKeys(deps.db, req.params.tenantId, req.query.limit ?? MAX_PAGE) };
    },
  );

  issueCredentialRoute(
    app,
    deps,
    { credentials: 'keys', fields: { role: RoleSchema }, response: NewKeyBody },
    ({ p, tenantId, body, issued }) =>
      withTransaction(deps.db, async (c) => {
        const tenant = await getTenant(c, tenantId);
        if (tenant === null) throw notFound('tenant');
        requireRoleFor(tenant.kind, body.role);
        const key = await createApiKey(c, { tenantId: tenant.id, role: body.role, ...issued });
        const expiresAt = issued.expiresAt?.toISOString() ?? null;
        await auditCredentialChange(
          c,
          p,
          'key.created',
          { type: 'api_key', id: key.id, tenantId: tenant.id },
          { role: body.role, prefix: key.prefix, expiresAt },
        );
        return {
          id: key.id,
          tenantId: tenant.id,
          role: body.role,
          prefix: key.prefix,
          key: key.key,
          expiresAt,
        };
      }),
  );

  app.post(
    '/keys/:keyId/revoke',
    {
      config: ADMIN_ROUTE,
      schema: { params: KeyIdParams, response: { 200: KeyBody, ...ErrorResponses } },
    },
    async (req) =>
      revokeKeyAudited(deps, principalOf(req), req.params.keyId, deps.now(), { ownTenantId: null }),
  );

  app.patch(
    '/keys/:keyId',
    {
      config: ADMIN_ROUTE,
      schema: {
        params: KeyIdParams,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: KeyBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return withTransaction(deps.db, async (c) => {
        const key = await getApiKey(c, req.params.keyId);
        const tenant = key === null ? null : await getTenant(c, key.tenantId);
        if (key === null || tenant === null) throw notFound('key');
        requireRoleFor(tenant.kind, req.body.role);
        const changed = await setApiKeyRole(c, key.id, req.body.role);
        if (changed === null) throw notFound('key');
        if (changed.previousRole !== changed.key.role) {
          await auditCredentialChange(
            c,
            p,
            'key.role_changed',
            { type: 'api_key', id: key.id, tenantId: key.tenantId },
            { from: changed.previousRole, to: changed.key.role },
          );
        }
        return changed.key;
      });
    },
  );
}
