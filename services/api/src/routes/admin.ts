import { Type } from '@fastify/type-provider-typebox';
import {
  appendAudit,
  createApiKey,
  createTenant,
  expiresInFuture,
  getApiKey,
  getTenant,
  listApiKeys,
  listTenants,
  normaliseFingerprint,
  registerClientCertificate,
  revokeApiKey,
  revokeClientCertificate,
  roleAllowedForTenant,
  setApiKeyRole,
  updateTenant,
  withTransaction,
  type PoolClient,
  type Principal,
  type Role,
  type TenantKind,
} from '@mod/db';
import { principalOf } from '../auth.js';
import { badRequest, conflict, notFound } from '../errors.js';
import {
  CertificateBody,
  ExpiresAt,
  KeyBody,
  KeyIdParams,
  Label,
  NewKeyBody,
  RoleSchema,
  TenantBody,
  TenantId,
  TenantIdParams,
  TenantKindSchema,
  TenantName,
} from './access-schemas.js';
import { ErrorResponses, MAX_PAGE, Uuid, type RouteDeps, type TypedApp } from './common.js';

/** Tenant kinds whose machines may authenticate with a client certificate (mTLS) instead of a key. */
export const CERTIFICATE_TENANT_KINDS: readonly TenantKind[] = ['isp'];

const ADMIN = { roles: ['admin'], tenant: 'none' } as const;

/**
 * Platform administration: tenants, API keys (the secret is shown once), roles and client certificates.
 * Every change is audited in the transaction that makes it.
 */
export async function adminRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const { now } = deps;
  const tx = <T>(fn: (c: PoolClient) => Promise<T>) => withTransaction(deps.db, fn);
  const audit = (
    c: PoolClient,
    p: Principal,
    action: string,
    subject: { type: string; id: string },
    evidence: Record<string, unknown>,
  ) =>
    appendAudit(c, {
      actor: { kind: 'user', id: p.keyId },
      role: p.role,
      tenantId: p.tenantId,
      action,
      subject,
      evidence,
    });
  const requireRoleFor = (kind: TenantKind, role: Role) => {
    if (!roleAllowedForTenant(kind, role))
      throw badRequest(
        'MOD_ERR_API_ROLE_NOT_FOR_TENANT',
        `a ${kind} tenant's credentials may not have role ${role}`,
      );
  };
  /** An expiry already past would issue a credential that can never authenticate. */
  const expiryOrNull = (expiresAt: string | undefined) => {
    if (expiresAt === undefined) return null;
    const at = new Date(expiresAt);
    if (!expiresInFuture(at, now()))
      throw badRequest('MOD_ERR_API_EXPIRY_PAST', 'expiresAt must be in the future');
    return at;
  };

  app.get(
    '/tenants',
    {
      config: ADMIN,
      schema: {
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            after: Type.Optional(TenantId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            tenants: Type.Array(TenantBody),
            nextAfter: Type.Union([TenantId, Type.Null()]),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const tenants = await listTenants(deps.db, {
        limit,
        ...(req.query.after === undefined ? {} : { after: req.query.after }),
      });
      return { tenants, nextAfter: tenants.length === limit ? (tenants.at(-1)?.id ?? null) : null };
    },
  );

  app.post(
    '/tenants',
    {
      config: ADMIN,
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
      const tenant = await tx(async (c) => {
        const t = await createTenant(c, {
          id: b.id,
          kind: b.kind,
          name: b.name,
          subscribedToBlocking: b.subscribedToBlocking ?? false,
        });
        if (t === null) throw conflict('a tenant with this id exists');
        await audit(c, p, 'tenant.created', { type: 'tenant', id: t.id }, { kind: t.kind });
        return t;
      });
      return reply.code(201).send(tenant);
    },
  );

  app.patch(
    '/tenants/:tenantId',
    {
      config: ADMIN,
      schema: {
        params: TenantIdParams,
        body: Type.Object(
          {
            name: Type.Optional(TenantName),
            subscribedToBlocking: Type.Optional(Type.Boolean()),
            disabled: Type.Optional(
              Type.Boolean({ description: 'true: none of its credentials authenticate' }),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: TenantBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return tx(async (c) => {
        const changed = await updateTenant(c, req.params.tenantId, req.body, now());
        if (changed === null) throw notFound('tenant');
        await audit(
          c,
          p,
          'tenant.changed',
          { type: 'tenant', id: req.params.tenantId },
          { change: { ...req.body } },
        );
        return changed.after;
      });
    },
  );

  app.get(
    '/tenants/:tenantId/keys',
    {
      config: ADMIN,
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

  app.post(
    '/tenants/:tenantId/keys',
    {
      config: ADMIN,
      schema: {
        params: TenantIdParams,
        body: Type.Object(
          { role: RoleSchema, label: Type.Optional(Label), expiresAt: Type.Optional(ExpiresAt) },
          { additionalProperties: false },
        ),
        response: { 201: NewKeyBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const expiresAt = expiryOrNull(b.expiresAt);
      const created = await tx(async (c) => {
        const tenant = await getTenant(c, req.params.tenantId);
        if (tenant === null) throw notFound('tenant');
        requireRoleFor(tenant.kind, b.role);
        const key = await createApiKey(c, {
          tenantId: tenant.id,
          role: b.role,
          ...(b.label === undefined ? {} : { label: b.label }),
          expiresAt,
          createdBy: p.keyId,
        });
        await audit(
          c,
          p,
          'key.created',
          { type: 'api_key', id: key.id },
          {
            tenantId: tenant.id,
            role: b.role,
            prefix: key.prefix,
            expiresAt: expiresAt?.toISOString() ?? null,
          },
        );
        return {
          id: key.id,
          tenantId: tenant.id,
          role: b.role,
          prefix: key.prefix,
          key: key.key,
          expiresAt: expiresAt?.toISOString() ?? null,
        };
      });
      return reply.code(201).send(created);
    },
  );

  app.post(
    '/keys/:keyId/revoke',
    {
      config: ADMIN,
      schema: { params: KeyIdParams, response: { 200: KeyBody, ...ErrorResponses } },
    },
    async (req) => revokeKeyAudited(deps, principalOf(req), req.params.keyId, now(), null),
  );

  app.patch(
    '/keys/:keyId',
    {
      config: ADMIN,
      schema: {
        params: KeyIdParams,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: KeyBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return tx(async (c) => {
        const key = await getApiKey(c, req.params.keyId);
        const tenant = key === null ? null : await getTenant(c, key.tenantId);
        if (key === null || tenant === null) throw notFound('key');
        requireRoleFor(tenant.kind, req.body.role);
        const changed = await setApiKeyRole(c, key.id, req.body.role);
        if (changed === null) throw notFound('key');
        if (changed.previousRole !== changed.key.role) {
          await audit(
            c,
            p,
            'key.role_changed',
            { type: 'api_key', id: key.id },
            {
              tenantId: key.tenantId,
              from: changed.previousRole,
              to: changed.key.role,
            },
          );
        }
        return changed.key;
      });
    },
  );

  app.post(
    '/tenants/:tenantId/certificates',
    {
      config: ADMIN,
      schema: {
        description:
          'Maps a client certificate (SHA-256 fingerprint of its DER bytes) to an ISP tenant for mTLS.',
        params: TenantIdParams,
        body: Type.Object(
          {
            fingerprintSha256: Type.String({ minLength: 64, maxLength: 100, pattern: '^[0-9A-Fa-f: ]+$' }),
            label: Type.Optional(Label),
            expiresAt: Type.Optional(ExpiresAt),
          },
          { additionalProperties: false },
        ),
        response: { 201: CertificateBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const expiresAt = expiryOrNull(b.expiresAt);
      const fingerprint = normaliseFingerprint(b.fingerprintSha256);
      if (fingerprint === null)
        throw badRequest('MOD_ERR_API_BAD_FINGERPRINT', 'fingerprintSha256 must be 32 bytes of hex');
      const cert = await tx(async (c) => {
        const tenant = await getTenant(c, req.params.tenantId);
        if (tenant === null) throw notFound('tenant');
        if (!CERTIFICATE_TENANT_KINDS.includes(tenant.kind))
          throw badRequest('MOD_ERR_API_ROLE_NOT_FOR_TENANT', 'client certificates are for ISP tenants');
        const registered = await registerClientCertificate(c, {
          tenantId: tenant.id,
          fingerprintSha256: fingerprint,
          role: 'isp',
          ...(b.label === undefined ? {} : { label: b.label }),
          expiresAt,
          createdBy: p.keyId,
        });
        if (registered === null) throw conflict('this certificate is already registered');
        await audit(
          c,
          p,
          'certificate.registered',
          { type: 'client_certificate', id: registered.id },
          {
            tenantId: tenant.id,
            fingerprintSha256: fingerprint,
          },
        );
        return registered;
      });
      return reply.code(201).send(cert);
    },
  );

  app.post(
    '/certificates/:certificateId/revoke',
    {
      config: ADMIN,
      schema: {
        params: Type.Object({ certificateId: Uuid }, { additionalProperties: false }),
        response: { 200: CertificateBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return tx(async (c) => {
        const cert = await revokeClientCertificate(c, req.params.certificateId, now());
        if (cert === null) throw notFound('certificate');
        await audit(
          c,
          p,
          'certificate.revoked',
          { type: 'client_certificate', id: cert.id },
          {
            tenantId: cert.tenantId,
          },
        );
        return cert;
      });
    },
  );
}

/**
 * Revokes a key and audits it in one transaction. `ownTenantId` set: only a key of that tenant (another
 * tenant's key answers 404). Revoking a revoked key changes nothing and is not audited again.
 */
export async function revokeKeyAudited(
  deps: RouteDeps,
  p: Principal,
  keyId: string,
  now: Date,
  ownTenantId: string | null,
) {
  return withTransaction(deps.db, async (c) => {
    const key = await getApiKey(c, keyId);
    if (key === null || (ownTenantId !== null && key.tenantId !== ownTenantId)) throw notFound('key');
    const revoked = await revokeApiKey(c, keyId, now);
    if (revoked === null) throw notFound('key');
    if (revoked.revokedNow) {
      await appendAudit(c, {
        actor: { kind: 'user', id: p.keyId },
        role: p.role,
        tenantId: p.tenantId,
        action: 'key.revoked',
        subject: { type: 'api_key', id: keyId },
        evidence: { tenantId: key.tenantId, prefix: key.prefix },
      });
    }
    return revoked.key;
  });
}
