import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MigrationError } from './errors.js';
import type { Pool } from './pool.js';

/** Folder of the versioned SQL migrations shipped with this package (`NNNN_name.sql`, applied in order). */
export const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`migration file name must be NNNN_name.sql: ${file}`);
    migrations.push({
      version: Number(m[1]),
      name: m[2] ?? file,
      sql: await readFile(`${dir}/${file}`, 'utf8'),
    });
  }
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new MigrationError(`duplicate migration version ${migrations[i]?.version}`);
    }
  }
  return migrations;
}

/**
 * Creates the pool's schema if needed and applies every migration not yet applied, all in one transaction (a
 * failed migration leaves the schema as it was). Safe when several services start at once: a transaction-scoped
 * advisory lock serialises migrators.
 * Returns the versions it applied.
 */
export async function migrate(pool: Pool, schema: string, dir = migrationsDir): Promise<number[]> {
  const migrations = await readMigrations(dir);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtext('mod-migrate:' || $1))`, [schema]);
    await client.query(`create schema if not exists ${schema}`);
    await client.query(`set local search_path = ${schema}`);
    await client.query(
      `create table if not exists schema_migrations (version integer primary key, name text not null,
        applied_at timestamptz not null default now())`,
    );
    const done = new Set(
      (await client.query<{ version: number }>('select version from schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, err);
      }
      await client.query('insert into schema_migrations (version, name) values ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('commit');
    return applied;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
