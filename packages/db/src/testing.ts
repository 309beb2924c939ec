import { randomBytes } from 'node:crypto';
import { migrate } from './migrate.js';
import { createPool, type Pool } from './pool.js';

export interface TestDatabase {
  pool: Pool;
  schema: string;
  connectionString: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated schema of its own for one test (tests own their world). Uses DATABASE_URL when set,
 * else the local project database.
 */
export async function createTestSchema(
  connectionString = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation',
): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = createPool({ connectionString, schema, max: 5, applicationName: 'test' });
  await migrate(pool, schema);
  return {
    pool,
    schema,
    connectionString,
    async drop() {
      await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await pool.end();
    },
  };
}
