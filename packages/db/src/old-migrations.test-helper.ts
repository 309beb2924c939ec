import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { migrationsDir } from './migrate.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

/**
 * A migration test's world, set up before its tests and dropped after them: an unmigrated schema and a directory
 * of the migrations up to number `last`, to migrate it to the state a later migration meets (`migrate(db.pool,
 * db.schema, oldDir)`), then to the end.
 */
export function useSchemaBeforeMigration(last: number): { db: TestDatabase; oldDir: string } {
  const world = {} as { db: TestDatabase; oldDir: string };
  beforeAll(async () => {
    world.db = await createTestSchema({ migrated: false });
    world.oldDir = await mkdtemp(join(tmpdir(), 'mod-migrations-'));
    for (const f of await readdir(migrationsDir))
      if (Number(f.slice(0, 4)) <= last) await copyFile(join(migrationsDir, f), join(world.oldDir, f));
  });
  afterAll(async () => {
    await world.db?.drop();
    if (world.oldDir !== undefined) await rm(world.oldDir, { recursive: true, force: true });
  });
  return world;
}
