import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './pool.js';

export const TenantKinds = ['isp', 'platform', 'authority', 'hotline', 'admin'] as const;
export type TenantKind = (typeof TenantKinds)[number];
export const Roles = ['isp', 'platform', 'authority', 'reviewer', 'curator', 'admin'] as const;
export type Role = (typeof Roles)[number];

export interface Tenant {
  id: string;
  kind: TenantKind;
  name: string;
  subscribedToBlocking: boolean;
}

export async function upsertTenant(db: Queryable, tenant: Tenant): Promise<void> {
  await db.query(
    `/* db:upsert-tenant */ insert into tenants (id, kind, name, subscribed_to_blocking) values ($1, $2, $3, $4)
     on conflict (id) do update set kind = excluded.kind, name = excluded.name,
       subscribed_to_blocking = excluded.subscribed_to_blocking`,
    [tenant.id, tenant.kind, tenant.name, tenant.subscribedToBlocking],
  );
}

/** ISPs that receive a blocking request for every automatic match. */
export async function listBlockingSubscribers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* actioner:blocking-subscribers */ select id from tenants where kind = 'isp' and subscribed_to_blocking order by id`,
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
  input: { tenantId: string; role: Role; label?: string; expiresAt?: Date | null },
): Promise<NewApiKey> {
  const raw = randomBytes(32).toString('base64url');
  const prefix = raw.slice(0, 12);
  const key = `mod_${prefix}_${raw.slice(12)}`;
  const id = randomUUID();
  await db.query(
    `/* api:create-key */ insert into api_keys (id, tenant_id, prefix, key_sha256, role, label, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [id, input.tenantId, prefix, sha256(key), input.role, input.label ?? null, input.expiresAt ?? null],
  );
  return { id, key, prefix };
}

export interface Principal {
  keyId: string;
  tenantId: string;
  tenantKind: TenantKind;
  role: Role;
}

export type KeyCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

/** Looks a presented key up by prefix and compares digests in constant time. */
export async function verifyApiKey(db: Queryable, presented: string, now: Date): Promise<KeyCheck> {
  const m = KEY_RE.exec(presented);
  if (!m) return { ok: false, reason: 'malformed' };
  const { rows } = await db.query<{
    id: string;
    tenant_id: string;
    kind: TenantKind;
    role: Role;
    key_sha256: Buffer;
    expires_at: Date | null;
    revoked_at: Date | null;
  }>(
    `/* api:verify-key */ select k.id, k.tenant_id, t.kind, k.role, k.key_sha256, k.expires_at, k.revoked_at
     from api_keys k join tenants t on t.id = k.tenant_id where k.prefix = $1`,
    [m[1]],
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(row.key_sha256, sha256(presented))) return { ok: false, reason: 'unknown' };
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime())
    return { ok: false, reason: 'expired' };
  await db.query(`/* api:touch-key */ update api_keys set last_used_at = $2 where id = $1`, [row.id, now]);
  return {
    ok: true,
    principal: { keyId: row.id, tenantId: row.tenant_id, tenantKind: row.kind, role: row.role },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
