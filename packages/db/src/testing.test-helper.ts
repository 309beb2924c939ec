import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { ensureBank } from './banks.js';
import { migrate } from './migrate.js';
import { createPool, type Pool, type Queryable } from './pool.js';
import { upsertTenant, type TenantKind } from './tenants.js';

// This package's tests cannot use @mod/testing (it depends on this package), so they keep its schema helper here.

/** This package's tests take `testOrder` and `testReport` from here, with the schema helper. */
export { testOrder, testReport } from './test-fixtures.test-helper.js';

export interface TestDatabase {
  pool: Pool;
  schema: string;
  connectionString: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/** A fresh schema `t_<random>` of its own for one test, migrated unless `migrated` is false. */
export async function createTestSchema(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const connectionString = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = createPool({ connectionString, schema, max: 5, applicationName: 'test' });
  if (options.migrated !== false) await migrate(pool, schema);
  const drop = async () => {
    await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await pool.end();
  };
  return { pool, schema, connectionString, drop };
}

/** A test tenant: its kind, and whether it is subscribed to blocking when it is not just a kind (not subscribed). */
export type TestTenant = TenantKind | { kind: TenantKind; subscribedToBlocking: boolean };

/** Tenants by id (`TestTenant`), each named after its id. */
export async function addTenants(pool: Pool, tenants: Readonly<Record<string, TestTenant>>): Promise<void> {
  for (const [id, tenant] of Object.entries(tenants)) {
    const { kind, subscribedToBlocking } =
      typeof tenant === 'string' ? { kind: tenant, subscribedToBlocking: false } : tenant;
    await upsertTenant(pool, { id, kind, name: id, subscribedToBlocking });
  }
}

/** The schema `useTestSchema` made for the test file (each test file runs in a module of its own). */
export let db: TestDatabase;

/**
 * Creates the file's schema (migrated) with `tenants` (as `addTenants`) before its tests, and drops it after.
 * A `beforeAll` of the file registered after this call runs once the schema and tenants are there.
 */
export function useTestSchema(tenants: Readonly<Record<string, TestTenant>> = {}): void {
  beforeAll(async () => {
    db = await createTestSchema();
    await addTenants(db.pool, tenants);
  });
  afterAll(async () => db?.drop());
}

/** A URL list (a bank of signal type `url`, which the bank type of `ensureBank` does not name) to hold entries. */
export const testUrlList = (pool: Queryable, name: string) =>
  ensureBank(pool, { name, source: 'test', signalTypes: ['url'] as never, actionPolicy: 'automatic' });
