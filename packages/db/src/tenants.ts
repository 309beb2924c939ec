import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './pool.js';

export const TenantKinds = ['isp', 'platform', 'authority', 'hotline', 'admin'] as const;
export type TenantKind = (typeof TenantKinds)[number];
export const Roles = ['isp', 'platform', 'authority', 'reviewer', 'curator', 'admin'] as const;
export type Role = (typeof Roles)[number];

/**
 * Roles a credential of each tenant kind may carry: an ISP's key can never act as an authority. Checked where
 * credentials are issued or changed over the API, so a compromised admin session cannot mint cross-kind powers
 * silently (the audit log records every attempt).
 */
export const RolesByTenantKind: Readonly<Record<TenantKind, readonly Role[]>> = {
  isp: ['isp'],
  platform: ['platform'],
  authority: ['authority', 'reviewer'],
  hotline: ['reviewer', 'curator'],
  admin: ['admin', 'curator', 'reviewer'],
};

/** Whether a credential of a tenant of `kind` may carry `role`. */
export function roleAllowedForTenant(kind: TenantKind, role: Role): boolean {
  return RolesByTenantKind[kind].includes(role);
}

export interface Tenant {
  id: string;
  kind: TenantKind;
  name: string;
  subscribedToBlocking: boolean;
}

export interface StoredTenant extends Tenant {
  createdAt: string;
  /** Set when the tenant is switched off: none of its credentials authenticate. */
  disabledAt: string | null;
}

export async function upsertTenant(db: Queryable, tenant: Tenant): Promise<void> {
  await db.query(
    `/* db:upsert-tenant */ insert into tenants (id, kind, name, subscribed_to_blocking) values ($1, $2, $3, $4)
     on conflict (id) do update set kind = excluded.kind, name = excluded.name,
       subscribed_to_blocking = excluded.subscribed_to_blocking`,
    [tenant.id, tenant.kind, tenant.name, tenant.subscribedToBlocking],
  );
}

interface TenantRow {
  id: string;
  kind: TenantKind;
  name: string;
  subscribed_to_blocking: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

const toTenant = (r: TenantRow): StoredTenant => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  subscribedToBlocking: r.subscribed_to_blocking,
  createdAt: r.created_at.toISOString(),
  disabledAt: r.disabled_at?.toISOString() ?? null,
});

/** Creates a tenant; returns null when the id is taken (tenants are never silently overwritten over the API). */
export async function createTenant(db: Queryable, tenant: Tenant): Promise<StoredTenant | null> {
  const { rows } = await db.query<TenantRow>(
    `/* api:create-tenant */ insert into tenants (id, kind, name, subscribed_to_blocking) values ($1, $2, $3, $4)
     on conflict (id) do nothing returning *`,
    [tenant.id, tenant.kind, tenant.name, tenant.subscribedToBlocking],
  );
  return rows[0] ? toTenant(rows[0]) : null;
}

export async function getTenant(db: Queryable, id: string): Promise<StoredTenant | null> {
  const { rows } = await db.query<TenantRow>(`/* api:get-tenant */ select * from tenants where id = $1`, [
    id,
  ]);
  return rows[0] ? toTenant(rows[0]) : null;
}

/**
 * Changes a tenant's name, blocking subscription or switched-off state (`disabled`: none of its credentials
 * authenticate from `now` on). Returns the tenant before and after, or null for an unknown id.
 */
export async function updateTenant(
  db: Queryable,
  id: string,
  change: { name?: string; subscribedToBlocking?: boolean; disabled?: boolean },
  now: Date,
): Promise<{ before: StoredTenant; after: StoredTenant } | null> {
  const before = await db.query<TenantRow>(
    `/* api:lock-tenant */ select * from tenants where id = $1 for update`,
    [id],
  );
  const old = before.rows[0];
  if (!old) return null;
  const { rows } = await db.query<TenantRow>(
    `/* api:update-tenant */ update tenants set name = coalesce($2, name),
       subscribed_to_blocking = coalesce($3, subscribed_to_blocking),
       disabled_at = case when $4::boolean is null then disabled_at when $4 then coalesce(disabled_at, $5) else null end
     where id = $1 returning *`,
    [id, change.name ?? null, change.subscribedToBlocking ?? null, change.disabled ?? null, now],
  );
  const updated = rows[0];
  return updated ? { before: toTenant(old), after: toTenant(updated) } : null;
}

/** Tenants in id order, keyset-paginated (`after` is the last id of the previous page). */
export async function listTenants(
  db: Queryable,
  q: { limit: number; after?: string },
): Promise<StoredTenant[]> {
  const { rows } = await db.query<TenantRow>(
    `/* api:list-tenants */ select * from tenants where ($1::text is null or id > $1) order by id limit $2`,
    [q.after ?? null, q.limit],
  );
  return rows.map(toTenant);
}

/** ISPs that receive a blocking request for every automatic match. */
export async function listBlockingSubscribers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* actioner:blocking-subscribers */ select id from tenants where kind = 'isp' and subscribed_to_blocking
     and disabled_at is null order by id`,
  );
  return rows.map((r) => r.id);
}

/** Key format: `mod_<prefix 12 chars>_<secret>`; 256 random bits in all. Shown once, stored as SHA-256. */
const KEY_RE = /^mod_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{31,})$/;

export interface NewApiKey {
  id: string;
  /** The plaintext key: shown to its owner once, never stored. */
  key: string;
  prefix: string;
}

export async function createApiKey(
  db: Queryable,
  input: { tenantId: string; role: Role; label?: string; expiresAt?: Date | null; createdBy?: string },
): Promise<NewApiKey> {
  const raw = randomBytes(32).toString('base64url');
  const prefix = raw.slice(0, 12);
  const key = `mod_${prefix}_${raw.slice(12)}`;
  const id = randomUUID();
  await db.query(
    `/* api:create-key */ insert into api_keys (id, tenant_id, prefix, key_sha256, role, label, expires_at, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      id,
      input.tenantId,
      prefix,
      sha256(key),
      input.role,
      input.label ?? null,
      input.expiresAt ?? null,
      input.createdBy ?? null,
    ],
  );
  return { id, key, prefix };
}

/** What is known about a key besides its secret (which is never stored). */
export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  prefix: string;
  role: Role;
  label: string | null;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface KeyRow {
  id: string;
  tenant_id: string;
  prefix: string;
  role: Role;
  label: string | null;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = `id, tenant_id, prefix, role, label, created_by, created_at, expires_at, revoked_at, last_used_at`;

const toKeyInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  tenantId: r.tenant_id,
  prefix: r.prefix,
  role: r.role,
  label: r.label,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

export async function getApiKey(db: Queryable, id: string): Promise<ApiKeyInfo | null> {
  const { rows } = await db.query<KeyRow>(
    `/* api:get-key */ select ${KEY_COLUMNS} from api_keys where id = $1`,
    [id],
  );
  return rows[0] ? toKeyInfo(rows[0]) : null;
}

/** A tenant's keys, newest first, at most `limit`. */
export async function listApiKeys(db: Queryable, tenantId: string, limit: number): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<KeyRow>(
    `/* api:list-keys */ select ${KEY_COLUMNS} from api_keys where tenant_id = $1 order by created_at desc, id limit $2`,
    [tenantId, limit],
  );
  return rows.map(toKeyInfo);
}

/**
 * Revokes a key from `now` on. Idempotent: revoking a revoked key keeps the first revocation time.
 * Returns the key and whether this call revoked it, or null for an unknown key.
 */
export async function revokeApiKey(
  db: Queryable,
  id: string,
  now: Date,
): Promise<{ key: ApiKeyInfo; revokedNow: boolean } | null> {
  const { rows } = await db.query<KeyRow & { was_revoked: boolean }>(
    `/* api:revoke-key */ with old as (select id, revoked_at is not null as was_revoked from api_keys where id = $1 for update)
     update api_keys k set revoked_at = coalesce(k.revoked_at, $2) from old where k.id = old.id
     returning ${KEY_COLUMNS.split(', ')
       .map((c) => `k.${c}`)
       .join(', ')}, old.was_revoked`,
    [id, now],
  );
  const r = rows[0];
  return r ? { key: toKeyInfo(r), revokedNow: !r.was_revoked } : null;
}

/** Changes a key's role; returns the key and the role it had, or null for an unknown key. */
export async function setApiKeyRole(
  db: Queryable,
  id: string,
  role: Role,
): Promise<{ key: ApiKeyInfo; previousRole: Role } | null> {
  const { rows } = await db.query<KeyRow & { previous_role: Role }>(
    `/* api:set-key-role */ with old as (select id, role from api_keys where id = $1 for update)
     update api_keys k set role = $2 from old where k.id = old.id
     returning ${KEY_COLUMNS.split(', ')
       .map((c) => `k.${c}`)
       .join(', ')}, old.role as previous_role`,
    [id, role],
  );
  const r = rows[0];
  return r ? { key: toKeyInfo(r), previousRole: r.previous_role } : null;
}

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
const LAST_USE_RESOLUTION_MS = 60_000;

interface CredentialRow {
  id: string;
  tenant_id: string;
  kind: TenantKind;
  role: Role;
  expires_at: Date | null;
  revoked_at: Date | null;
  disabled_at: Date | null;
  last_used_at: Date | null;
}

function checkCredential(row: CredentialRow, now: Date): KeyCheck {
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

const lastUseIsStale = (row: CredentialRow, now: Date) =>
  row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USE_RESOLUTION_MS;

/** The public lookup prefix of a well-formed key (safe to log and audit), or null. */
export function apiKeyPrefix(presented: string): string | null {
  return KEY_RE.exec(presented)?.[1] ?? null;
}

/** Looks a presented key up by prefix and compares digests in constant time. */
export async function verifyApiKey(db: Queryable, presented: string, now: Date): Promise<KeyCheck> {
  const m = KEY_RE.exec(presented);
  if (!m) return { ok: false, reason: 'malformed' };
  const { rows } = await db.query<CredentialRow & { key_sha256: Buffer }>(
    `/* api:verify-key */ select k.id, k.tenant_id, t.kind, k.role, k.key_sha256, k.expires_at, k.revoked_at,
       t.disabled_at, k.last_used_at
     from api_keys k join tenants t on t.id = k.tenant_id where k.prefix = $1`,
    [m[1]],
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(row.key_sha256, sha256(presented))) return { ok: false, reason: 'unknown' };
  const check = checkCredential(row, now);
  if (check.ok && lastUseIsStale(row, now))
    await db.query(`/* api:touch-key */ update api_keys set last_used_at = $2 where id = $1`, [row.id, now]);
  return check;
}

/**
 * A certificate fingerprint in canonical form (64 lowercase hex digits) from the forms tools print
 * (`AB:CD:...`, `abcd...`, with or without spaces); null when it is not a SHA-256 fingerprint.
 */
export function normaliseFingerprint(text: string): string | null {
  const hex = text.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

export interface ClientCertificateInfo {
  id: string;
  tenantId: string;
  fingerprintSha256: string;
  role: Role;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

interface CertRow {
  id: string;
  tenant_id: string;
  fingerprint_sha256: string;
  role: Role;
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const toCertInfo = (r: CertRow): ClientCertificateInfo => ({
  id: r.id,
  tenantId: r.tenant_id,
  fingerprintSha256: r.fingerprint_sha256,
  role: r.role,
  label: r.label,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
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
  const { rows } = await db.query<CertRow>(
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
  );
  return rows[0] ? toCertInfo(rows[0]) : null;
}

/** Revokes a certificate mapping (idempotent); null for an unknown id. */
export async function revokeClientCertificate(
  db: Queryable,
  id: string,
  now: Date,
): Promise<ClientCertificateInfo | null> {
  const { rows } = await db.query<CertRow>(
    `/* api:revoke-certificate */ update client_certificates set revoked_at = coalesce(revoked_at, $2) where id = $1
     returning *`,
    [id, now],
  );
  return rows[0] ? toCertInfo(rows[0]) : null;
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

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
