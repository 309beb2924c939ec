import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  setLocalStatementTimeout,
  toDatabaseError,
  withTransaction,
  type Pool,
} from './index.js';
import { startSilentProxy, type SilentProxy } from './silent-proxy.test-helper.js';

// PostgreSQL falling silent mid-statement (a network partition, a failed-over primary whose address vanished):
// no answer and no reset come back, so the server's statement_timeout never reaches the client. A statement then
// waited for ever: the step that ran it held its partition, and a service told to stop (SIGTERM) waited for it,
// and for `pool.end()`, for ever. Each statement now gives up on the client side a while after the statement
// timeout, as a retriable outage, and the connection is dropped.

const url = new URL(process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation');
let proxy: SilentProxy;
let pool: Pool;

beforeAll(async () => {
  proxy = await startSilentProxy({ host: url.hostname, port: Number(url.port || 5432) });
  const through = new URL(url);
  through.port = String(proxy.port);
  pool = createPool({
    connectionString: through.toString(),
    max: 2,
    statementTimeoutMs: 300,
    queryTimeoutMs: 1000,
  });
});
afterAll(async () => {
  proxy.resume();
  await pool.end();
  await proxy.close();
});

describe('a database that falls silent', () => {
  it('fails a statement in flight as a retriable outage, and the pool works again once the network is back', async () => {
    expect((await pool.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
    proxy.pause();
    const failed = await pool.query('select 2').then(
      () => null,
      (err: unknown) => toDatabaseError(err, 'select'),
    );
    expect(failed).toMatchObject({ code: 'MOD_ERR_DB_UNAVAILABLE', retriable: true });
    const inTransaction = await withTransaction(pool, (c) => c.query('select 3')).then(
      () => null,
      (err: unknown) => toDatabaseError(err, 'transaction'),
    );
    expect(inTransaction).toMatchObject({ code: 'MOD_ERR_DB_UNAVAILABLE', retriable: true });
    proxy.resume();
    expect((await pool.query<{ n: number }>('select 4 as n')).rows).toEqual([{ n: 4 }]);
  });

  it('lets a statement run as long as a longer statement timeout set for its transaction allows, then no longer', async () => {
    const slept = await withTransaction(pool, async (c) => {
      await setLocalStatementTimeout(c, 5_000);
      return (await c.query<{ ok: boolean }>('select pg_sleep(1.5) is not null as ok')).rows;
    });
    expect(slept).toEqual([{ ok: true }]);
    // The longer timeout ended with its transaction: the pool's 300 ms cancels the same sleep again.
    const cancelled = await withTransaction(pool, (c) => c.query('select pg_sleep(1.5)')).then(
      () => null,
      (err: unknown) => (err as { code?: string }).code,
    );
    expect(cancelled).toBe('57014');
  });
});
