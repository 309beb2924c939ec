import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { createTenant, listTenants, updateTenant } from '@mod/db/access';
import { principalOf } from '../auth.js';
import { ApiError, conflict, notFound } from '../errors.js';
import {
  ADMIN_ROUTE,
  TenantBody,
  TenantId,
  TenantIdParams,
  TenantKindSchema,
  TenantName,
  tenantPage,
  TenantPageQuery,
} from './access-schemas.js';
import { auditCallerChange, ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

/**
 * What a change of a tenant does, in the OpenAPI document. The API holds no right to change Kafka ACLs (that right
 * is the whole cluster's): a partner's access on the broker follows `disabled` through the admin principal's
 * reconcile, `modctl kafka standing --watch` (the Helm chart's and compose's kafka-standing, the demo), which reads
 * the tenants every second and applies a change at once.
 */
const TENANT_CHANGE_DESCRIPTION =
  "Changes a tenant's name, blocking subscription or standing (audited, tenant.changed). Disabling it: none of " +
  'its credentials authenticate from then on, and every live session of its people ends (sessionsEnded; a sign-in ' +
  'racing it begins none), so none comes back when it is enabled again; its keys and certificates do. Its partner Kafka principal (ISP or platform) is suspended on the ' +
  'broker by the standing reconcile (modctl kafka standing --watch, within seconds of this call, or modctl kafka ' +
  'standing on a schedule), not by this call: until then the broker still takes its produce, and the workers ' +
  'dead-letter its events (MOD_ERR_TENANT_DISABLED), acting on none. Enabling it lifts the suspension the same ' +
  'way. An admin may not switch off its ' +
  "own tenant (409 MOD_ERR_API_NOT_YOURSELF): it would lock out every admin of it; another admin tenant's does.";

/** A tenant after a change, and how many of its people's sessions the change ended. */
const TenantChange = Type.Object(
  {
    ...TenantBody.properties,
    sessionsEnded: Type.Integer({
      minimum: 0,
      description:
        "live sessions of the tenant's people ended: by a switch-off (they would come back with a switch back on), or by a switch back on (any left from before); 0 otherwise",
    }),
  },
  { additionalProperties: false },
);

/** Tenants: list them a page at a time, create one, change its name, blocking subscription or switch it off. */
export async function adminTenantRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/tenants',
    {
      config: ADMIN_ROUTE,
      schema: {
        querystring: TenantPageQuery,
        response: {
          200: Type.Object({
            tenants: Type.Array(TenantBody),
            nextAfter: Type.Union([TenantId, Type.Null()]),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) =>
      tenantPage(
        'tenants',
        req.query,
        (q) => listTenants(deps.db, q),
        (t) => t.id,
      ),
  );

  app.post(
    '/tenants',
    {
      config: ADMIN_ROUTE,
      schema: {
        body: Type.Object(
          {
            id: TenantId,
            kind: TenantKindSchema,
            name: TenantName,
            subscribedToBlocking: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: TenantBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const tenant = await withTransaction(deps.db, async (c) => {
        const t = await createTenant(c, {
          id: b.id,
          kind: b.kind,
          name: b.name,
          subscribedToBlocking: b.subscribedToBlocking ?? false,
        });
        if (t === null) throw conflict('a tenant with this id exists');
        await auditCallerChange(c, p, {
          action: 'tenant.created',
          subject: { type: 'tenant', id: t.id },
          evidence: { kind: t.kind },
        });
        return t;
      });
      return reply.code(201).send(tenant);
    },
  );

  app.patch(
    '/tenants/:tenantId',
    {
      config: ADMIN_ROUTE,
      schema: {
        description: TENANT_CHANGE_DESCRIPTION,
        params: TenantIdParams,
        body: Type.Object(
          {
            name: Type.Optional(TenantName),
            subscribedToBlocking: Type.Optional(Type.Boolean()),
            disabled: Type.Optional(
              Type.Boolean({
                description:
                  "true: none of its credentials authenticate at once, its people's sessions end; its Kafka principal is suspended by the " +
                  'standing reconcile (modctl kafka standing --watch: within seconds). false: both restored the same way',
              }),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: TenantChange, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      // As an admin may not disable their own person: switching off the caller's tenant would end every credential
      // and session of it at once, the caller's and every other admin's of it, with no way back through the API.
      if (req.body.disabled === true && req.params.tenantId === p.tenantId)
        throw new ApiError(
          409,
          'MOD_ERR_API_NOT_YOURSELF',
          "an admin may not switch off its own tenant (every admin of it would be locked out); another admin tenant's admin may",
        );
      return withTransaction(deps.db, async (c) => {
        const changed = await updateTenant(c, req.params.tenantId, req.body, deps.now());
        if (changed === null) throw notFound('tenant');
        const { sessionsEnded } = changed;
        await auditCallerChange(c, p, {
          action: 'tenant.changed',
          subject: { type: 'tenant', id: req.params.tenantId },
          evidence: { change: { ...req.body }, ...(sessionsEnded > 0 ? { sessionsEnded } : {}) },
        });
        return { ...changed.after, sessionsEnded };
      });
    },
  );
}
