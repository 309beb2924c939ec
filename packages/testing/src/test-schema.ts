import { randomBytes } from 'node:crypto';
import { createPool, migrate, type Pool } from '@mod/db';

/** The database tests use: `DATABASE_URL` when set, else the local project database. */
export const TEST_DATABASE_URL =
  process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';

export interface TestDatabase {
  pool: Pool;
  schema: string;
  connectionString: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated schema `t_<random>` of its own for one test (tests own their world), on `connectionString`
 * (default `TEST_DATABASE_URL`).
 */
export async function createTestSchema(connectionString = TEST_DATABASE_URL): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = createPool({ connectionString, schema, max: 5, applicationName: 'test' });
  await migrate(pool, schema);
  return { pool, schema, connectionString, drop: () => dropSchema(pool, schema) };
}

/**
 * Drops a test's schema and closes its pool. A schema already gone (or a database already down, in the tests
 * that stop it) is not an error: clean-up never hides the test's own failure.
 */
export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
  await pool.end();
}
