import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { queryOne, type Queryable } from './pool.js';
import { checkCredential, lastUseIsStale, sha256, toCredentialInfo } from './credentials.js';
import type { CredentialInfo, CredentialInfoRow, CredentialRow, KeyCheck } from './credentials.js';
import type { Role } from './tenants.js';

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
export interface ApiKeyInfo extends CredentialInfo {
  prefix: string;
  createdBy: string | null;
  lastUsedAt: string | null;
}

interface KeyRow extends CredentialInfoRow {
  prefix: string;
  created_by: string | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = `id, tenant_id, prefix, role, label, created_by, created_at, expires_at, revoked_at, last_used_at`;
/** `KEY_COLUMNS` of the alias `k`, for the updates that join the old row (`returning` would be ambiguous). */
const KEY_COLUMNS_OF_K = KEY_COLUMNS.split(', ')
  .map((c) => `k.${c}`)
  .join(', ');

const toKeyInfo = (r: KeyRow): ApiKeyInfo => ({
  ...toCredentialInfo(r),
  prefix: r.prefix,
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

export async function getApiKey(db: Queryable, id: string): Promise<ApiKeyInfo | null> {
  return queryOne(db, `/* api:get-key */ select ${KEY_COLUMNS} from api_keys where id = $1`, [id], toKeyInfo);
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
     returning ${KEY_COLUMNS_OF_K}, old.was_revoked`,
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
     returning ${KEY_COLUMNS_OF_K}, old.role as previous_role`,
    [id, role],
  );
  const r = rows[0];
  return r ? { key: toKeyInfo(r), previousRole: r.previous_role } : null;
}

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
