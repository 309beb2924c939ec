export { DatabaseError, MigrationError, isRetriablePgError, toDatabaseError } from './errors.js';
export {
  createPool,
  withTransaction,
  pingDatabase,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
} from './pool.js';
export { migrate, readMigrations, migrationsDir, type Migration } from './migrate.js';
export * from './tenants.js';
export * from './banks.js';
export * from './submissions.js';
export * from './verdicts.js';
export * from './orders.js';
export * from './outbox.js';
export * from './audit.js';
export { createTestSchema, type TestDatabase } from './testing.js';
export * from './bank-import.js';
export * from './classifications.js';
