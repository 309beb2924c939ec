import { ModError } from '@mod/contracts';

/**
 * A database failure. Retriable when the SQLSTATE says the database was unavailable or the transaction lost a
 * race (connection failures, serialization failures, deadlocks, shutdowns, too many connections); not
 * retriable when the statement itself is wrong for the data (constraint violations, bad input).
 * Classified by SQLSTATE, never by message text.
 */
export class DatabaseError extends ModError {
  readonly sqlState: string | undefined;
  constructor(message: string, sqlState: string | undefined, retriable: boolean, cause?: unknown) {
    super(retriable ? 'MOD_ERR_DB_UNAVAILABLE' : 'MOD_ERR_DB_REJECTED', message, { retriable, cause });
    this.sqlState = sqlState;
  }
}

export class MigrationError extends ModError {
  constructor(message: string, cause?: unknown) {
    super('MOD_ERR_DB_MIGRATION', message, { cause });
  }
}

const RETRIABLE_CLASSES = ['08', '53', '57', '58'];
// 25006: a write in a read-only transaction, which is what a primary demoted to a standby by a failover (or put
// read-only by an operator) answers every write until the clients reach the new primary: the server's state, not
// the data's.
const RETRIABLE_STATES = new Set(['40001', '40P01', '55P03', '25006']);

const CONNECT_FAILURE = Symbol('mod.db.connect-failure');

/** Marks an error as a failure to get a connection (`createPool`): always retriable. */
export function markConnectFailure<E>(err: E): E {
  if (typeof err === 'object' && err !== null && !Object.isFrozen(err))
    Object.defineProperty(err, CONNECT_FAILURE, { value: true });
  return err;
}

const DATABASE_FAILURE = Symbol('mod.db.failure');

/**
 * Marks an error a statement of a pool's connection failed with (`createPool`): the server's refusal, the
 * connection's loss, the read timeout. Anything else thrown inside a transaction (a bug, a coded refusal) is not.
 */
export function markDatabaseFailure<E>(err: E): E {
  if (typeof err === 'object' && err !== null && !Object.isFrozen(err) && !(DATABASE_FAILURE in err))
    Object.defineProperty(err, DATABASE_FAILURE, { value: true });
  return err;
}

/**
 * Whether `err` came from the database (a statement of a pool's connection, or getting one) rather than from the
 * code around it: callers that answer for it (the API) say a retriable one is an outage (`isRetriablePgError`).
 */
export function isDatabaseFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (DATABASE_FAILURE in err || CONNECT_FAILURE in err);
}

/** Whether a pg error (or a socket error under it) is worth retrying. */
export function isRetriablePgError(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && CONNECT_FAILURE in err) return true;
  const state = (err as { code?: unknown } | null)?.code;
  if (typeof state !== 'string') return true; // no SQLSTATE: the connection failed before the server answered
  if (/^[0-9A-Z]{5}$/.test(state)) {
    return RETRIABLE_STATES.has(state) || RETRIABLE_CLASSES.includes(state.slice(0, 2));
  }
  return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT...
}

/**
 * What a failed database step throws: a coded error as it is; anything else as a DatabaseError, retriable or
 * not by its SQLSTATE (`isRetriablePgError`).
 */
export function toDatabaseError(err: unknown, what: string): ModError {
  // Already coded (a DatabaseError, or a refusal raised inside the work: an audit record that cannot be written, a
  // policy's or a store's own error): it says itself whether trying again can help.
  if (err instanceof ModError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  return new DatabaseError(`${what}: ${(err as Error).message}`, sqlState, isRetriablePgError(err), err);
}
