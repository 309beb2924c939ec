import {
  Type,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
} from '@fastify/type-provider-typebox';
import { withTransaction, type Queryable } from '@mod/db';
import {
  expiresInFuture,
  getApiKey,
  revokeApiKey,
  roleAllowedForTenant,
  type Principal,
  type Role,
  type TenantKind,
} from '@mod/db/access';
import { appendAuditAlone } from '@mod/db/audit';
import { credentialEvidence, principalOf } from '../auth.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { ADMIN_ROUTE, ExpiresAt, Label, TenantIdParams } from './access-schemas.js';
import { auditActor, auditCallerChange, ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

/** Tenant kinds whose machines may authenticate with a client certificate (mTLS) instead of a key. */
export const CERTIFICATE_TENANT_KINDS: readonly TenantKind[] = ['isp'];

/** A credential's role must suit its tenant's kind (`RolesByTenantKind` in @mod/db). */
export function requireRoleFor(kind: TenantKind, role: Role): void {
  if (!roleAllowedForTenant(kind, role))
    throw badRequest(
      'MOD_ERR_API_ROLE_NOT_FOR_TENANT',
      `a ${kind} tenant's credentials may not have role ${role}`,
    );
}

/** A credential's expiry, if given; one already past would issue a credential that can never authenticate. */
export function expiryOrNull(expiresAt: string | undefined, now: Date): Date | null {
  if (expiresAt === undefined) return null;
  const at = new Date(expiresAt);
  if (!expiresInFuture(at, now))
    throw badRequest('MOD_ERR_API_EXPIRY_PAST', 'expiresAt must be in the future');
  return at;
}

/** What every credential is issued with: its label (when given), its expiry (or none) and the key that issued it. */
export interface IssuedWith {
  label?: string;
  expiresAt: Date | null;
  createdBy: string;
}

/**
 * Declares `POST /tenants/:tenantId/<credentials>` (admin only): issues a credential to the tenant and answers 201
 * with what `issue` answers. Its body is `fields` and what any credential may be given, a label and an expiry; an
 * expiry already past answers 400 (`expiryOrNull`) before `issue` runs.
 */
export function issueCredentialRoute<F extends TProperties, R extends TSchema>(
  app: TypedApp,
  deps: RouteDeps,
  route: { credentials: string; description?: string; fields: F; response: R },
  issue: (a: {
    p: Principal;
    tenantId: string;
    body: Static<TObject<F>>;
    issued: IssuedWith;
  }) => Promise<Static<R>>,
): void {
  // Widened: the type provider cannot resolve a generic schema's reply; `issue` answers Static<R>.
  const answer: TSchema = route.response;
  app.post(
    `/tenants/:tenantId/${route.credentials}`,
    {
      config: ADMIN_ROUTE,
      schema: {
        ...(route.description === undefined ? {} : { description: route.description }),
        params: TenantIdParams,
        body: Type.Object(
          { ...route.fields, label: Type.Optional(Label), expiresAt: Type.Optional(ExpiresAt) },
          { additionalProperties: false },
        ),
        response: { 201: answer, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      // As the body schema declares it: the type provider cannot resolve a generic schema's static type.
      const body = req.body as Static<TObject<F>> & { label?: string; expiresAt?: string };
      const issued: IssuedWith = {
        ...(body.label === undefined ? {} : { label: body.label }),
        expiresAt: expiryOrNull(body.expiresAt, deps.now()),
        createdBy: p.keyId,
      };
      return reply.code(201).send(await issue({ p, tenantId: req.params.tenantId, body, issued }));
    },
  );
}

/**
 * Appends (in transaction `c`) the audit record of a change the caller made to a credential of a tenant: the
 * credential is its subject, and its evidence starts with the credential's tenant.
 */
export const auditCredentialChange = (
  c: Queryable,
  p: Principal,
  action: string,
  credential: { type: 'api_key' | 'client_certificate'; id: string; tenantId: string },
  evidence: Record<string, unknown> = {},
) =>
  auditCallerChange(c, p, {
    action,
    subject: { type: credential.type, id: credential.id },
    evidence: { tenantId: credential.tenantId, ...evidence },
  });

/**
 * Whether `p` may revoke `keyId`, a key of its own tenant, on the self-service route: a machine key itself only (the
 * holder of a leaked key kills it), never a sibling, so that one leaked key cannot lock its whole tenant out; a
 * system admin (key or person) any key, as it may at `/v1/admin/keys`. Anyone else (the tenant's people, a client
 * certificate) asks an admin, as every identity system that separates a credential from its administrator does.
 */
export const mayRevokeOwnTenantKey = (p: Principal, keyId: string): boolean =>
  p.role === 'admin' || (p.credential === 'api-key' && p.keyId === keyId);

/** Where a key may be revoked: `ownTenantId` set, only a key of that tenant (another's answers 404). */
export interface RevokeRule {
  ownTenantId: string | null;
  /** Whether the caller may revoke this key (of a tenant it reaches); refused: 403, audited. Default: any. */
  may?: (keyId: string) => boolean;
}

/**
 * Revokes a key and audits it in one transaction. A key the caller may not revoke (`rule.may`) answers 403
 * `MOD_ERR_API_KEY_NOT_OWN` and is on record (`key.revoke_refused`). Revoking a revoked key changes nothing and
 * is not audited again.
 */
export async function revokeKeyAudited(
  deps: RouteDeps,
  p: Principal,
  keyId: string,
  now: Date,
  rule: RevokeRule,
) {
  const { ownTenantId, may = () => true } = rule;
  const done = await withTransaction(deps.db, async (c) => {
    const key = await getApiKey(c, keyId);
    if (key === null || (ownTenantId !== null && key.tenantId !== ownTenantId)) throw notFound('key');
    if (!may(keyId)) return { refused: key };
    const revoked = await revokeApiKey(c, keyId, now);
    if (revoked === null) throw notFound('key');
    if (revoked.revokedNow) {
      await auditCredentialChange(
        c,
        p,
        'key.revoked',
        { type: 'api_key', id: keyId, tenantId: key.tenantId },
        { prefix: key.prefix },
      );
    }
    return { revoked: revoked.key };
  });
  if ('revoked' in done) return done.revoked;
  await appendAuditAlone(deps.db, {
    ...auditActor(p),
    action: 'key.revoke_refused',
    subject: { type: 'api_key', id: keyId },
    reason: 'MOD_ERR_API_KEY_NOT_OWN',
    evidence: { tenantId: done.refused.tenantId, prefix: done.refused.prefix, ...credentialEvidence(p) },
  });
  throw new ApiError(
    403,
    'MOD_ERR_API_KEY_NOT_OWN',
    "a key may revoke only itself; another of the tenant's keys is revoked by an admin",
  );
}
