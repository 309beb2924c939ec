import { withTransaction, type Pool, type PoolClient } from './pool.js';

/** Carries a dry run's result out of its transaction, which throwing rolls back. */
class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super('dry run rolled back');
    this.name = 'RolledBack';
  }
}

/**
 * Runs `fn` in a transaction that is always rolled back, and returns what it returned: a dry run of a change
 * (an import's preview) runs the very statements of the change, so its counts are the change's, and leaves
 * nothing behind (rows, outbox messages, audit records all go with the rollback; sequences may skip numbers).
 */
export async function withRolledBackTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  try {
    await withTransaction(pool, async (c) => {
      throw new RolledBack(await fn(c));
    });
  } catch (err) {
    if (err instanceof RolledBack) return err.result as T;
    throw err;
  }
  throw new Error('unreachable: a dry run always rolls back');
}
