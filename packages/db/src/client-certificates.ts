import { randomUUID } from 'node:crypto';
import { queryOne, type Queryable } from './pool.js';
import { checkCredential, lastUseIsStale, toCredentialInfo } from './credentials.js';
import type { CredentialInfo, CredentialInfoRow, CredentialRow, KeyCheck } from './credentials.js';
import type { Role } from './tenants.js';

/**
 * A certificate fingerprint in canonical form (64 lowercase hex digits) from the forms tools print
 * (`AB:CD:...`, `abcd...`, with or without spaces); null when it is not a SHA-256 fingerprint.
 */
export function normaliseFingerprint(text: string): string | null {
  const hex = text.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export interface ClientCertificateInfo extends CredentialInfo {
  fingerprintSha256: string;
}

interface CertRow extends CredentialInfoRow {
  fingerprint_sha256: string;
}

const toCertInfo = (r: CertRow): ClientCertificateInfo => ({
  ...toCredentialInfo(r),
  fingerprintSha256: r.fingerprint_sha256,
});

/**
 * Maps a client certificate (by SHA-256 fingerprint) to a tenant and role. Returns null when the fingerprint is
 * already registered. The caller normalises the fingerprint first (`normaliseFingerprint`).
 */
export async function registerClientCertificate(
  db: Queryable,
  input: {
    tenantId: string;
    fingerprintSha256: string;
    role: Role;
    label?: string;
    expiresAt?: Date | null;
    createdBy?: string;
  },
): Promise<ClientCertificateInfo | null> {
  return queryOne(
    db,
    `/* api:register-certificate */ insert into client_certificates (id, tenant_id, fingerprint_sha256, role, label,
       expires_at, created_by) values ($1, $2, $3, $4, $5, $6, $7) on conflict (fingerprint_sha256) do nothing returning *`,
    [
      randomUUID(),
      input.tenantId,
      input.fingerprintSha256,
      input.role,
      input.label ?? null,
      input.expiresAt ?? null,
      input.createdBy ?? null,
    ],
    toCertInfo,
  );
}

/** Revokes a certificate mapping (idempotent); null for an unknown id. */
export async function revokeClientCertificate(
  db: Queryable,
  id: string,
  now: Date,
): Promise<ClientCertificateInfo | null> {
  return queryOne(
    db,
    `/* api:revoke-certificate */ update client_certificates set revoked_at = coalesce(revoked_at, $2) where id = $1
     returning *`,
    [id, now],
    toCertInfo,
  );
}

/** Resolves a verified client certificate's fingerprint to a principal, like `verifyApiKey` does for keys. */
export async function verifyClientCertificate(
  db: Queryable,
  fingerprint: string,
  now: Date,
): Promise<KeyCheck> {
  const fp = normaliseFingerprint(fingerprint);
  if (fp === null) return { ok: false, reason: 'malformed' };
  const { rows } = await db.query<CredentialRow>(
    `/* api:verify-certificate */ select c.id, c.tenant_id, t.kind, c.role, c.expires_at, c.revoked_at, t.disabled_at,
       c.last_used_at
     from client_certificates c join tenants t on t.id = c.tenant_id where c.fingerprint_sha256 = $1`,
    [fp],
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  const check = checkCredential(row, now);
  if (check.ok && lastUseIsStale(row, now)) {
    await db.query(
      `/* api:touch-certificate */ update client_certificates set last_used_at = $2 where id = $1`,
      [row.id, now],
    );
  }
  return check.ok ? { ok: true, principal: { ...check.principal, credential: 'client-certificate' } } : check;
}
