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
import { badRequest, notFound } from '../errors.js';
import { auditCallerChange, type RouteDeps } from './common.js';

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
      await auditCredentialChange(
        c,
        p,
        'key.revoked',
        { type: 'api_key', id: keyId, tenantId: key.tenantId },
        { prefix: key.prefix },
      );
    }
    return revoked.key;
  });
}
