import pg from 'pg';
import { markConnectFailure, markDatabaseFailure, toDatabaseError } from './errors.js';

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
  /**
   * Milliseconds the client waits for a statement's answer before it gives up on the connection (a retriable
   * failure; the connection is dropped). Default the statement timeout plus {@link READ_TIMEOUT_MARGIN_MS}.
   */
  queryTimeoutMs?: number;
}

/**
 * How much longer than the statement timeout the client waits for an answer. The server cancels a statement at
 * its timeout and says so; only a database that fell silent (a network partition, a failed-over primary whose
 * address vanished: no answer and no reset ever come back) is still unheard after this, and without a client-side
 * limit its statement, the step or request that ran it, and a shutdown waiting for them, waited for ever.
 */
export const READ_TIMEOUT_MARGIN_MS = 10_000;

// bigint (int8) as string would leak into every caller; our bigserials stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(options: PoolOptions): Pool {
  const schema = options.schema ?? 'public';
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'moderation',
    options: `-c search_path=${schema} -c statement_timeout=${statementTimeoutMs}`,
    query_timeout: options.queryTimeoutMs ?? statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Nor may a checked-out client's: a backend terminated between two statements of a transaction emits 'error'
  // on its client, which has no listener of its own; the statement in flight (or the next) rejects instead.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    markQueryFailures(client);
  });
  // A read timeout raised for one transaction (`setLocalStatementTimeout`) ends with it.
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => {
    const params = paramsOf(client);
    const base = baseReadTimeouts.get(client);
    if (base !== undefined) params.query_timeout = base;
    baseReadTimeouts.delete(client);
  });
  markConnectFailures(pool);
  return pool;
}

/** A statement pg runs as a stream (pg-copy-streams' COPY): it submits itself, and may have no callback. */
interface StreamStatement {
  submit: unknown;
  callback?: unknown;
  /** Set on a COPY TO once it has given its last row (the server ended the statement). */
  readableEnded?: boolean;
  once(event: 'close', listener: () => void): unknown;
}
const isStreamStatement = (q: unknown): q is StreamStatement =>
  typeof q === 'object' && q !== null && typeof (q as { submit?: unknown }).submit === 'function';

/**
 * pg clears a statement's read timeout (`query_timeout`) only through its callback, and calls that callback when
 * the timer fires. A COPY TO stream has none, so the timer outlived the COPY and, once the read timeout had passed,
 * called nothing: an uncaught TypeError that ended the process (every bank export did so). Such a statement gets a
 * callback that does nothing, and once its stream closes the one pg put in its place is called, which clears the
 * timer. A COPY FROM has its own, which it calls when it ends.
 *
 * A COPY TO closed before its end (its reader went away: a download cut short) leaves its connection in the middle
 * of the COPY, the server still sending rows nobody reads: given back to the pool, the next statement on it waited
 * behind them until the read timeout failed it. Its connection is ended then, so the pool drops it when released.
 */
function settleReadTimeoutOnClose(client: pg.PoolClient, statement: StreamStatement): void {
  if (typeof statement.callback === 'function') return;
  statement.callback = () => undefined;
  statement.once('close', () => {
    (statement.callback as () => void)();
    if (statement.readableEnded !== true) void (client as unknown as pg.Client).end().catch(() => undefined);
  });
}

/**
 * Every error a statement of `client` fails with is marked as the database's (`isDatabaseFailure`), whether the
 * statement was given a callback (`pool.query` runs that way) or answers a promise; streams (COPY) are left as
 * they are, their read timeout ended when they close and their connection when cut short (`settleReadTimeoutOnClose`).
 */
function markQueryFailures(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const marked = (...args: unknown[]): unknown => {
    if (isStreamStatement(args[0])) settleReadTimeoutOnClose(client, args[0]);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function')
      args[last] = (err: unknown, ...rest: unknown[]) =>
        (callback as (...a: unknown[]) => unknown)(
          err === null || err === undefined ? err : markDatabaseFailure(err),
          ...rest,
        );
    const result = query(...args);
    if (result instanceof Promise)
      return result.catch((err: unknown) => {
        throw markDatabaseFailure(err);
      });
    return result;
  };
  client.query = marked as typeof client.query;
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

/** The client's settings pg reads at each query (its read timeout among them). */
const paramsOf = (client: pg.PoolClient) =>
  (client as unknown as { connectionParameters: { query_timeout?: number } }).connectionParameters;
const baseReadTimeouts = new WeakMap<pg.PoolClient, number | undefined>();

/**
 * Sets a longer statement timeout for the rest of `client`'s transaction (`set local`: a bulk import, a large
 * diff), and the client's read timeout with it (statement timeout plus {@link READ_TIMEOUT_MARGIN_MS}) until the
 * client goes back to the pool, so the pool's read timeout does not cut such a statement short.
 */
export async function setLocalStatementTimeout(client: pg.PoolClient, ms: number): Promise<void> {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`invalid statement timeout ${ms}`);
  const params = paramsOf(client);
  if (!baseReadTimeouts.has(client)) baseReadTimeouts.set(client, params.query_timeout);
  params.query_timeout = ms + READ_TIMEOUT_MARGIN_MS;
  await client.query(`set local statement_timeout = ${ms}`);
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
