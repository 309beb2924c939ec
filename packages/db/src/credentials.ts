import { createHash } from 'node:crypto';
import type { Role, TenantKind } from './tenants.js';

/*
 * Who a request acts for: the principal a verified credential resolves to (API keys in api-keys.ts, client
 * certificates in client-certificates.ts, people's sessions in sessions.ts), and the checks they share.
 */

/** How a caller authenticated: machines with a key or a client certificate, people with a session. */
export type CredentialKind = 'api-key' | 'client-certificate' | 'session';

export interface Principal {
  /** The credential: an API key id, a client certificate id, or a person's session id. */
  keyId: string;
  /** The person acting (signed in with a session); null for machines (keys, certificates). */
  personId: string | null;
  tenantId: string;
  tenantKind: TenantKind;
  role: Role;
  credential: CredentialKind;
}

export type CredentialFailure = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'disabled';

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; reason: CredentialFailure };

/** `last_used_at` is written at most this often per credential, so every request is not a write. */
export const LAST_USE_RESOLUTION_MS = 60_000;

export interface CredentialRow {
  id: string;
  tenant_id: string;
  kind: TenantKind;
  role: Role;
  expires_at: Date | null;
  revoked_at: Date | null;
  disabled_at: Date | null;
  last_used_at: Date | null;
}

export function checkCredential(row: CredentialRow, now: Date): KeyCheck {
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime())
    return { ok: false, reason: 'expired' };
  if (row.disabled_at !== null) return { ok: false, reason: 'disabled' };
  return {
    ok: true,
    principal: {
      keyId: row.id,
      personId: null,
      tenantId: row.tenant_id,
      tenantKind: row.kind,
      role: row.role,
      credential: 'api-key',
    },
  };
}

export const lastUseIsStale = (row: CredentialRow, now: Date) =>
  row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USE_RESOLUTION_MS;

/** What is known about a machine credential (an API key, a client certificate) besides what is its own. */
export interface CredentialInfo {
  id: string;
  tenantId: string;
  role: Role;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** The columns of `CredentialInfo` that `api_keys` and `client_certificates` share. */
export interface CredentialInfoRow {
  id: string;
  tenant_id: string;
  role: Role;
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export const toCredentialInfo = (r: CredentialInfoRow): CredentialInfo => ({
  id: r.id,
  tenantId: r.tenant_id,
  role: r.role,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/** SHA-256 of a text's UTF-8 bytes (how key secrets are stored). */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
