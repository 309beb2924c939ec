import { randomUUID } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBankEntries } from './domains/banks.js';
import { createPool, type Pool } from './pool.js';
import { db, useTestSchema } from './testing.test-helper.js';

// A statement streamed to the client (COPY TO: a bank's export, an import's duplicates report) gives pg no callback,
// and pg clears its read timeout (`query_timeout`, the pool's guard against a database fallen silent) only through
// the statement's callback. The timer was left set after the COPY ended and, once the read timeout had passed,
// called the missing callback: an uncaught TypeError, which ends a service's process (a curator's bank export took
// the API instance down 40 seconds later).

useTestSchema();
/** The pool's read timeout in this file: short, so that a timer left behind fires within the test. */
const READ_TIMEOUT_MS = 300;
let short: Pool;
beforeAll(() => {
  short = createPool({
    connectionString: db.connectionString,
    schema: db.schema,
    max: 1,
    statementTimeoutMs: 200,
    queryTimeoutMs: READ_TIMEOUT_MS,
  });
});
afterAll(async () => short?.end());

describe('a COPY streamed to the client', () => {
  it('leaves no read timeout behind once it ends: nothing is thrown after, the connection serves on', async () => {
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown) => void thrown.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const out = new PassThrough();
      const read: Buffer[] = [];
      out.on('data', (c: Buffer) => read.push(c));
      await exportBankEntries(short, randomUUID(), 'csv', out);
      expect(Buffer.concat(read).toString('utf8')).toBe('signal,value,quality,category,note\n');
      // Past the read timeout the export's statement was given: a timer it left behind has fired by now.
      await new Promise((resolve) => setTimeout(resolve, 3 * READ_TIMEOUT_MS));
      expect(thrown).toEqual([]);
      expect((await short.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('gives back no connection in the middle of a COPY whose reader went away: the next statement is answered', async () => {
    // One connection, so the statement after the export gets the export's (before: still in its COPY, the
    // statement queued behind it until the read timeout failed it, 'Query read timeout').
    const one = createPool({
      connectionString: db.connectionString,
      schema: db.schema,
      max: 1,
      statementTimeoutMs: 1000,
      queryTimeoutMs: 2000,
    });
    try {
      const bank = randomUUID();
      await db.pool.query(
        `insert into banks (id, name, source, signal_types) values ($1, $2, 'test', '{sha256}')`,
        [bank, `bank ${bank}`],
      );
      await db.pool.query(
        `insert into bank_entries (bank_id, signal, value)
         select $1, 'sha256', encode(sha256(i::text::bytea), 'hex') from generate_series(1, 50000) i`,
        [bank],
      );
      // The curator's download is cut short after a few chunks (a closed tab, a network drop).
      let chunks = 0;
      const out = new Writable({
        write(_chunk, _encoding, done) {
          done(++chunks > 3 ? new Error('the client went away') : null);
        },
      });
      await expect(exportBankEntries(one, bank, 'csv', out)).rejects.toThrow('the client went away');
      expect((await one.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await one.end();
    }
  });
});
