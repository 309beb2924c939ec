import { queryOne, type Queryable } from './pool.js';

export const TenantKinds = ['isp', 'platform', 'authority', 'hotline', 'admin'] as const;
export type TenantKind = (typeof TenantKinds)[number];
export const Roles = ['isp', 'platform', 'authority', 'reviewer', 'curator', 'admin', 'hotline'] as const;
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
  hotline: ['reviewer', 'curator', 'hotline'],
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
  return queryOne(
    db,
    `/* api:create-tenant */ insert into tenants (id, kind, name, subscribed_to_blocking) values ($1, $2, $3, $4)
     on conflict (id) do nothing returning *`,
    [tenant.id, tenant.kind, tenant.name, tenant.subscribedToBlocking],
    toTenant,
  );
}

export async function getTenant(db: Queryable, id: string): Promise<StoredTenant | null> {
  return queryOne(db, `/* api:get-tenant */ select * from tenants where id = $1`, [id], toTenant);
}

/** Why the sessions a switch-off (or a switch back on) ends were ended (`person_sessions.revoked_reason`). */
const TENANT_DISABLED_REASON = 'tenant-disabled';

/**
 * Changes a tenant's name, blocking subscription or switched-off state (`disabled`: none of its credentials
 * authenticate from `now` on). Returns the tenant before and after, or null for an unknown id; `sessionsEnded`: the
 * live sessions of its people ended by a switch-off or on (0 otherwise). Call it in a transaction.
 *
 * A switch-off ends its people's sessions, which a re-enable would otherwise bring back (API keys and certificates
 * are the tenant's own, refused while it is off and good again after). It first locks the people's rows, the lock
 * a sign-in, password change or TOTP enrolment takes before it begins a session: one under way commits first and
 * its session is ended here, one after waits and then reads the tenant switched off (the sign-in re-reads it).
 * Switching back on ends any session still live from before (one begun before this rule, or a path it misses).
 */
export async function updateTenant(
  db: Queryable,
  id: string,
  change: { name?: string; subscribedToBlocking?: boolean; disabled?: boolean },
  now: Date,
): Promise<{ before: StoredTenant; after: StoredTenant; sessionsEnded: number } | null> {
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
  if (!updated) return null;
  const switched = (old.disabled_at === null) !== (updated.disabled_at === null);
  const sessionsEnded = switched ? await endPeopleSessions(db, id, now) : 0;
  return { before: toTenant(old), after: toTenant(updated), sessionsEnded };
}

/** Locks a tenant's people (in id order) and ends their live sessions; answers how many ended. */
async function endPeopleSessions(db: Queryable, tenantId: string, now: Date): Promise<number> {
  await db.query(
    `/* api:lock-tenant-people */ select id from people where tenant_id = $1 order by id for update`,
    [tenantId],
  );
  const { rowCount } = await db.query(
    `/* api:end-tenant-sessions */ update person_sessions set revoked_at = $2, revoked_reason = $3
     where revoked_at is null and person_id in (select id from people where tenant_id = $1)`,
    [tenantId, now, TENANT_DISABLED_REASON],
  );
  return rowCount ?? 0;
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
