import pg from 'pg';
import { markConnectFailure, toDatabaseError } from './errors.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PoolOptions {
  connectionString: string;
  /** Schema every connection works in (search_path). Tests use a fresh one each. Default 'public'. */
  schema?: string;
  /** Maximum connections. Default 10. */
  max?: number;
  applicationName?: string;
  /** Milliseconds before a statement is cancelled by the server. Default 30000. */
  statementTimeoutMs?: number;
}

// bigint (int8) as string would leak into every caller; our bigserials stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(options: PoolOptions): Pool {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'moderation',
    options: `-c search_path=${schema} -c statement_timeout=${options.statementTimeoutMs ?? 30_000}`,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Nor may a checked-out client's: a backend terminated between two statements of a transaction emits 'error'
  // on its client, which has no listener of its own; the statement in flight (or the next) rejects instead.
  pool.on('connect', (client) => client.on('error', () => undefined));
  markConnectFailures(pool);
  return pool;
}

/**
 * Failing to get a connection says nothing about the work that wanted it, whatever the server answered
 * (refused, too many clients, not accepting connections, starting up): such errors are marked, so they are
 * retried as the outage they are and never dead-letter a message (`isRetriablePgError`). `pool.query` gets
 * its connection through `pool.connect`, so both paths are covered.
 */
function markConnectFailures(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (
    cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void,
  ) => Promise<pg.PoolClient> | undefined;
  const replacement = (
    cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void,
  ) => {
    if (cb !== undefined) return connect((err, client, done) => cb(markConnectFailure(err), client, done));
    return (connect() as Promise<pg.PoolClient>).catch((err: unknown) => {
      throw markConnectFailure(err);
    });
  };
  pool.connect = replacement as typeof pool.connect;
}

/**
 * Runs a query that reads one row (by its key, or the one a write returns): the row as `map` makes it, or null
 * when there is none.
 */
export async function queryOne<R extends pg.QueryResultRow, T>(
  db: Queryable,
  text: string,
  values: unknown[],
  map: (row: R) => T,
): Promise<T | null> {
  const { rows } = await db.query<R>(text, values);
  const row = rows[0];
  return row === undefined ? null : map(row);
}

/** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toDatabaseError(err, 'connect');
  }
  let result: T;
  try {
    await client.query('begin');
    result = await fn(client);
    await client.query('commit');
  } catch (err) {
    // A connection that failed (terminated, reset) is not given back to the pool: it would fail the next user.
    const broken = await client.query('rollback').then(
      () => false,
      () => true,
    );
    client.release(broken);
    throw err;
  }
  client.release();
  return result;
}

/** Readiness probe: the database answers a trivial query. */
export async function pingDatabase(pool: Queryable): Promise<boolean> {
  try {
    await pool.query('select 1');
    return true;
  } catch {
    return false;
  }
}
