import type { Queryable } from '@mod/db';
import { createApiKey, updateTenant, upsertTenant, type Role, type TenantKind } from '@mod/db/access';

/** A tenant a test needs. With `role`, it also gets an API key of that role. */
export interface TestTenant {
  id: string;
  kind: TenantKind;
  /** Default: the id. */
  name?: string;
  /** Default: true for an ISP, false for every other kind. */
  subscribedToBlocking?: boolean;
  role?: Role;
}

/** Creates (or updates) one tenant and makes it an API key of `role`; returns the key. */
export async function tenantWithKey(db: Queryable, tenant: TestTenant & { role: Role }): Promise<string> {
  await upsertTestTenant(db, tenant);
  return (await createApiKey(db, { tenantId: tenant.id, role: tenant.role })).key;
}

/** Creates (or updates) the tenants in order; returns the API key of each that names a `role`, by tenant id. */
export async function seedTenants(
  db: Queryable,
  tenants: readonly TestTenant[],
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const tenant of tenants) {
    if (tenant.role === undefined) await upsertTestTenant(db, tenant);
    else keys[tenant.id] = await tenantWithKey(db, { ...tenant, role: tenant.role });
  }
  return keys;
}

/** Switches tenant `id` off (or on again), as an admin does (`PATCH /v1/tenants/:id`, `modctl tenant disable`). */
export async function setTenantDisabled(db: Queryable, id: string, disabled: boolean): Promise<void> {
  if ((await updateTenant(db, id, { disabled }, new Date())) === null) throw new Error(`no tenant ${id}`);
}

/** Runs `work` while tenant `id` is disabled, and enables it again after, whatever `work` does. */
export async function whileDisabled<T>(db: Queryable, id: string, work: () => Promise<T>): Promise<T> {
  await setTenantDisabled(db, id, true);
  try {
    return await work();
  } finally {
    await setTenantDisabled(db, id, false);
  }
}

async function upsertTestTenant(db: Queryable, tenant: TestTenant): Promise<void> {
  await upsertTenant(db, {
    id: tenant.id,
    kind: tenant.kind,
    name: tenant.name ?? tenant.id,
    subscribedToBlocking: tenant.subscribedToBlocking ?? tenant.kind === 'isp',
  });
}
