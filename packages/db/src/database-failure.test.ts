import { describe, expect, it } from 'vitest';
import { isDatabaseFailure, toDatabaseError, withTransaction } from './index.js';
import { db, useTestSchema } from './testing.test-helper.js';

// What the database refuses for its own state is an outage, whoever meets it: a worker retries it (never
// dead-letters the message), the API answers 503. A primary demoted by a failover answers every write 25006
// (read-only transaction), as a transaction opened read only does here.

useTestSchema({ 'plat-1': 'platform' });

const failure = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (err: unknown) => err,
  );

describe('database failures', () => {
  it('a write refused as read-only (a demoted primary) is retriable and marked as the database’s', async () => {
    const err = await failure(
      withTransaction(db.pool, async (c) => {
        await c.query('set transaction read only');
        await c.query(`update tenants set name = name where id = 'plat-1'`);
      }),
    );
    expect((err as { code?: string }).code).toBe('25006');
    expect(isDatabaseFailure(err)).toBe(true);
    expect(toDatabaseError(err, 'write')).toMatchObject({ code: 'MOD_ERR_DB_UNAVAILABLE', retriable: true });
  });

  it('marks what a pool query fails with, and not what the code inside a transaction throws', async () => {
    expect(isDatabaseFailure(await failure(db.pool.query('select * from no_such_table')))).toBe(true);
    const bug = await failure(
      withTransaction(db.pool, () => {
        throw new TypeError('a bug, not the database');
      }),
    );
    expect(bug).toBeInstanceOf(TypeError);
    expect(isDatabaseFailure(bug)).toBe(false);
    // A statement wrong for the data stays a rejection, marked or not.
    const rejected = await failure(db.pool.query(`insert into tenants (id) values (null)`));
    expect(isDatabaseFailure(rejected)).toBe(true);
    expect(toDatabaseError(rejected, 'insert')).toMatchObject({
      code: 'MOD_ERR_DB_REJECTED',
      retriable: false,
    });
  });
});
