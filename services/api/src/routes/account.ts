import { Type } from '@fastify/type-provider-typebox';
import { listApiKeys, Roles } from '@mod/db/access';
import { principalOf, scopeOf } from '../auth.js';
import { KeyBody, KeyIdParams, RoleSchema, TenantId } from './access-schemas.js';
import { ErrorResponses, MAX_PAGE, type RouteDeps, type TypedApp } from './common.js';
import { mayRevokeOwnTenantKey, revokeKeyAudited } from './credentials.js';

const EVERY_ROLE = Roles;
/** Self-service: every role, own tenant only (no oversight role reaches another tenant's keys here). */
const OWN = { roles: EVERY_ROLE, tenant: 'own' } as const;

/** What a caller may see and do about its own credentials: who am I, my tenant's keys, revoke its own leaked key. */
export async function accountRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;

  app.get(
    '/me',
    {
      config: OWN,
      schema: {
        response: {
          200: Type.Object(
            {
              tenantId: TenantId,
              tenantKind: Type.String(),
              role: RoleSchema,
              credential: Type.Union([
                Type.Literal('api-key'),
                Type.Literal('client-certificate'),
                Type.Literal('session'),
              ]),
              credentialId: Type.String(),
              /** The signed-in person; null for machines. */
              personId: Type.Union([Type.String(), Type.Null()]),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return {
        tenantId: p.tenantId,
        tenantKind: p.tenantKind,
        role: p.role,
        credential: p.credential,
        credentialId: p.keyId,
        personId: p.personId,
      };
    },
  );

  app.get(
    '/keys',
    {
      config: OWN,
      schema: {
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ keys: Type.Array(KeyBody) }), ...ErrorResponses },
      },
    },
    async (req) => {
      const scope = scopeOf(req);
      const tenantId = scope.all ? principalOf(req).tenantId : scope.tenantId;
      return { keys: await listApiKeys(deps.db, tenantId, req.query.limit ?? MAX_PAGE) };
    },
  );

  app.post(
    '/keys/:keyId/revoke',
    {
      config: OWN,
      schema: {
        description:
          "Revokes the caller's own key (e.g. a leaked one); an admin any key of its tenant. Another key of the tenant: 403 MOD_ERR_API_KEY_NOT_OWN (audited; an admin revokes it at /v1/admin/keys). Another tenant's key: 404.",
        params: KeyIdParams,
        response: { 200: KeyBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const scope = scopeOf(req);
      return revokeKeyAudited(deps, p, req.params.keyId, now(), {
        ownTenantId: scope.all ? null : scope.tenantId,
        may: (keyId) => mayRevokeOwnTenantKey(p, keyId),
      });
    },
  );
}
