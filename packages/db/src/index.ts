/**
 * `@mod/db`: the PostgreSQL pool, transactions, migrations and database errors. Each domain's store is a subpath:
 * `@mod/db/access`, `/banks`, `/submissions`, `/orders`, `/outbox`, `/audit`, `/url-lists`, `/feeds`. Test
 * support is the private `@mod/testing`, never this entry; `@mod/db/testing` holds the part of it this package's
 * own tests use too (they cannot import `@mod/testing`), which `@mod/testing` re-exports.
 */
export {
  DatabaseError,
  MigrationError,
  isDatabaseFailure,
  isRetriablePgError,
  toDatabaseError,
} from './errors.js';
export {
  createPool,
  withTransaction,
  pingDatabase,
  setLocalStatementTimeout,
  READ_TIMEOUT_MARGIN_MS,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
} from './pool.js';
export { migrate, readMigrations, migrationsDir, type Migration } from './migrate.js';
