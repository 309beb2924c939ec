import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PoolClient } from '@mod/db';
import { listLiveEntries } from '@mod/db/banks';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import {
  CurationErrorCode,
  addEntries,
  createBank,
  importBankList,
  updateBankSettings,
  type ImportProgress,
  type LineError,
} from './index.js';

let db: TestDatabase;
const topic = 'test.bank-changes';
const pdq = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const sha = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

beforeAll(async () => {
  db = await createTestSchema();
  await createBank(
    db.pool,
    { name: 'iwf', source: 'test', signalTypes: ['pdq', 'sha256', 'md5'], actionPolicy: 'automatic' },
    topic,
  );
});
afterAll(async () => db.drop());

async function outbox(): Promise<{ key: string; payload: { type: string } }[]> {
  const { rows } = await db.pool.query<{ key: string; payload: { type: string } }>(
    'select key, payload from outbox order by id',
  );
  return rows;
}

describe('bank import', () => {
  it('imports good lines, reports bad ones by line number, and is idempotent', async () => {
    const csv = [
      '\ufeffsignal,value,quality,category',
      `pdq,${pdq(1)},90,A`,
      `pdq,${pdq(2).toUpperCase()},80,B\r`,
      'pdq,zz,90,A',
      `pdq,${pdq(3).slice(2)},90,A`,
      `sha1,${'ab'.repeat(20)},,A`,
      `pdq,${pdq(1)},90,A`,
      `sha256,${sha(9)},,C`,
      '',
    ].join('\n');
    const errors: LineError[] = [];
    const report = await importBankList(db.pool, {
      bankName: 'iwf',
      format: 'csv',
      input: Readable.from([csv]),
      changesTopic: topic,
      onLineError: (e) => errors.push(e),
    });
    expect(report).toMatchObject({ added: 3, removed: 0, unchanged: 0, badLines: 4, resync: false });
    expect(errors.map((e) => e.lineNumber)).toEqual([4, 5, 6, 7]);
    expect(errors.map((e) => e.code)).toEqual([
      'MOD_ERR_MATCHER_LIST_BAD_HEX',
      'MOD_ERR_MATCHER_LIST_BAD_LENGTH',
      'MOD_ERR_MATCHER_LIST_MIXED_SIGNALS',
      'MOD_ERR_MATCHER_LIST_DUPLICATE',
    ]);
    const live = await listLiveEntries(db.pool);
    expect(live.map((e) => e.value).sort()).toEqual([pdq(1), pdq(2), sha(9)].sort());
    const changes = await outbox();
    expect(changes.map((c) => c.payload.type)).toEqual([
      'bank-upserted',
      'entry-added',
      'entry-added',
      'entry-added',
    ]);

    const again = await importBankList(db.pool, {
      bankName: 'iwf',
      format: 'csv',
      input: Readable.from([csv]),
      changesTopic: topic,
    });
    expect(again).toMatchObject({ added: 0, removed: 0, unchanged: 3 });
    expect(await outbox()).toHaveLength(4);
  });

  it('replaces: entries missing from the new list are soft-removed and announced', async () => {
    const jsonl = [
      `{"signal":"pdq","value":"${pdq(1)}","quality":90}`,
      `{"signal":"pdq","value":"${pdq(4)}"}`,
    ].join('\n');
    const report = await importBankList(db.pool, {
      bankName: 'iwf',
      format: 'jsonl',
      input: Readable.from([jsonl]),
      changesTopic: topic,
    });
    expect(report).toMatchObject({ added: 1, removed: 2, unchanged: 1 });
    expect((await listLiveEntries(db.pool)).map((e) => e.value).sort()).toEqual([pdq(1), pdq(4)].sort());
    expect(
      (await outbox())
        .slice(4)
        .map((c) => c.payload.type)
        .sort(),
    ).toEqual(['entry-added', 'entry-removed', 'entry-removed']);
  });

  it('a strict import with one bad line, or an empty replace, writes nothing', async () => {
    const tsv = `pdq\t${pdq(5)}\t90\nmd5\tnothex\n`;
    await expect(
      importBankList(db.pool, {
        bankName: 'iwf',
        format: 'tsv',
        input: Readable.from([tsv]),
        strict: true,
        changesTopic: topic,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.StrictRejected });
    await expect(
      importBankList(db.pool, {
        bankName: 'iwf',
        format: 'csv',
        input: Readable.from(['garbage\n']),
        changesTopic: topic,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.EmptyList });
    expect((await listLiveEntries(db.pool)).map((e) => e.value).sort()).toEqual([pdq(1), pdq(4)].sort());
    await expect(
      importBankList(db.pool, {
        bankName: 'nope',
        format: 'csv',
        input: Readable.from(['']),
        changesTopic: topic,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.UnknownBank });
  });

  it('sends one resync instead of per-entry changes for a bulk import, and announces setting changes', async () => {
    const lines = Array.from(
      { length: 50 },
      (_, i) => `sha256,${(i + 1000).toString(16).padStart(64, '0')}`,
    ).join('\n');
    const before = (await outbox()).length;
    const report = await importBankList(db.pool, {
      bankName: 'iwf',
      format: 'csv',
      mode: 'append',
      input: Readable.from([lines]),
      changesTopic: topic,
      bulkThreshold: 10,
    });
    expect(report).toMatchObject({ added: 50, removed: 0, resync: true });
    const after = await outbox();
    expect(after.slice(before).map((c) => c.payload.type)).toEqual(['bank-resync']);
    const bank = (await db.pool.query<{ id: string }>('select id from banks')).rows[0]?.id as string;
    const updated = await updateBankSettings(db.pool, bank, { enabled: false, pdqThreshold: 20 }, topic);
    expect(updated).toMatchObject({ enabled: false, pdqThreshold: 20 });
    const last = (await outbox()).at(-1);
    expect(last?.payload).toMatchObject({
      type: 'bank-upserted',
      bank: { enabled: false, thresholds: { pdq: 20 } },
    });
  });
});

describe('bank import across signals and sizes', () => {
  const md5 = (n: number) => n.toString(16).padStart(32, '0');
  const list = (from: number, to: number): string =>
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      return i % 2 === 0 ? `pdq,${i.toString(16).padStart(64, '0')}` : `md5,${md5(i)}`;
    }).join('\n');
  const live = async (bankId: string): Promise<string[]> =>
    (
      await db.pool.query<{ v: string }>(
        `select signal || ':' || value as v from bank_entries where bank_id = $1 and removed_at is null order by 1`,
        [bankId],
      )
    ).rows.map((r) => r.v);
  const expected = (from: number, to: number): string[] =>
    list(from, to)
      .split('\n')
      .map((l) => l.replace(',', ':'))
      .sort();

  it('replaces a mixed bank: the live entries become exactly the list, whichever way scanners are told', async () => {
    const { bank } = await createBank(
      db.pool,
      { name: 'mixed', source: 'test', signalTypes: ['pdq', 'md5'], actionPolicy: 'review' },
      topic,
    );
    const run = (from: number, to: number) =>
      importBankList(db.pool, {
        bankName: 'mixed',
        format: 'csv',
        input: Readable.from([list(from, to)]),
        changesTopic: topic,
        bulkThreshold: 30,
      });
    const before = (await outbox()).length;
    // 100 new entries, more than the threshold above the 0 live ones: surely a resync.
    expect(await run(0, 100)).toMatchObject({ added: 100, removed: 0, unchanged: 0, resync: true });
    expect(await live(bank.id)).toEqual(expected(0, 100));
    // Same size, 40 changed: 80 changes, more than the threshold only once counted.
    expect(await run(40, 140)).toMatchObject({ added: 40, removed: 40, unchanged: 60, resync: true });
    expect(await live(bank.id)).toEqual(expected(40, 140));
    // 10 changed: per-entry messages naming exactly the changed entries.
    const mid = (await outbox()).length;
    expect(await run(45, 145)).toMatchObject({ added: 5, removed: 5, unchanged: 95, resync: false });
    expect(await live(bank.id)).toEqual(expected(45, 145));
    const changes = (await outbox()).slice(mid).map((c) => c.payload.type);
    expect(changes.filter((t) => t === 'entry-added')).toHaveLength(5);
    expect(changes.filter((t) => t === 'entry-removed')).toHaveLength(5);
    expect((await outbox()).slice(before, mid).map((c) => c.payload.type)).toEqual([
      'bank-resync',
      'bank-resync',
    ]);
  });

  it('reports its progress once per parsed chunk, then once when the whole list is staged', async () => {
    await createBank(
      db.pool,
      { name: 'progress', source: 'test', signalTypes: ['pdq', 'md5'], actionPolicy: 'review' },
      topic,
    );
    const events: ImportProgress[] = [];
    const report = await importBankList(db.pool, {
      bankName: 'progress',
      format: 'csv',
      input: Readable.from([`${list(0, 10)}\n`, `${list(10, 25)}\nmd5,zz\n`]),
      changesTopic: topic,
      onProgress: (p) => events.push({ ...p }),
    });
    expect(report).toMatchObject({ lines: 26, badLines: 1, added: 25 });
    expect(events).toEqual([
      { phase: 'reading', lines: 10, badLines: 0 },
      { phase: 'reading', lines: 26, badLines: 1 },
      { phase: 'applying', lines: 26, badLines: 1 },
    ]);
  });

  it("refreshes the planner's statistics after an import that grows the entries by more than a tenth", async () => {
    await createBank(
      db.pool,
      { name: 'grown', source: 'test', signalTypes: ['pdq', 'md5'], actionPolicy: 'review' },
      topic,
    );
    const planned = async () => {
      const { rows } = await db.pool.query<{ believed: number; n: number }>(
        `select (select reltuples from pg_class where oid = 'bank_entries'::regclass) as believed,
                (select count(*)::int from bank_entries) as n`,
      );
      return rows[0];
    };
    // Without this, the next import of the list would be joined against a table believed nearly empty.
    await importBankList(db.pool, {
      bankName: 'grown',
      format: 'csv',
      input: Readable.from([list(1000, 6000)]),
      changesTopic: topic,
    });
    const after = await planned();
    expect(after?.believed).toBe(after?.n);
    expect(after?.n).toBeGreaterThanOrEqual(5000);
  });

  it('finds repeated lines in the database: reported after the other bad lines, counted, refused when strict', async () => {
    const { bank } = await createBank(
      db.pool,
      { name: 'repeats', source: 'test', signalTypes: ['pdq', 'md5'], actionPolicy: 'review' },
      topic,
    );
    const csv = [
      'signal,value',
      `pdq,${pdq(7)}`,
      `md5,${md5(7)}`,
      'md5,nothex',
      `pdq,${pdq(7)}`,
      `md5,${md5(8)}`,
      `PDQ,${pdq(7).toUpperCase()}`,
      `md5,${md5(7)}`,
      'pdq,zz',
    ].join('\n');
    const strict = (text: string) =>
      importBankList(db.pool, {
        bankName: 'repeats',
        format: 'csv',
        input: Readable.from([text]),
        changesTopic: topic,
        strict: true,
      });
    // A strict import of a list whose only bad line is a repeat writes nothing.
    await expect(strict(`pdq,${pdq(7)}\npdq,${pdq(7)}\n`)).rejects.toMatchObject({
      code: CurationErrorCode.StrictRejected,
    });
    expect(await live(bank.id)).toEqual([]);

    const errors: LineError[] = [];
    const events: ImportProgress[] = [];
    const report = await importBankList(db.pool, {
      bankName: 'repeats',
      format: 'csv',
      input: Readable.from([csv]),
      changesTopic: topic,
      onLineError: (e) => errors.push(e),
      onProgress: (p) => events.push({ ...p }),
    });
    expect(report).toMatchObject({ lines: 8, badLines: 5, added: 3, unchanged: 0 });
    expect(errors.map((e) => [e.lineNumber, e.code, e.message])).toEqual([
      [4, 'MOD_ERR_MATCHER_LIST_BAD_HEX', 'md5 value is not hex'],
      [9, 'MOD_ERR_MATCHER_LIST_BAD_HEX', 'pdq value is not hex'],
      [5, 'MOD_ERR_MATCHER_LIST_DUPLICATE', 'duplicate of line 2'],
      [7, 'MOD_ERR_MATCHER_LIST_DUPLICATE', 'duplicate of line 2'],
      [8, 'MOD_ERR_MATCHER_LIST_DUPLICATE', 'duplicate of line 3'],
    ]);
    // Read with the parser's bad lines; applied with the repeats counted too.
    expect(events.at(-2)).toEqual({ phase: 'reading', lines: 8, badLines: 2 });
    expect(events.at(-1)).toEqual({ phase: 'applying', lines: 8, badLines: 5 });
    expect(await live(bank.id)).toEqual([`md5:${md5(7)}`, `md5:${md5(8)}`, `pdq:${pdq(7)}`]);
  });

  it('a bank is never deleted, and entries cannot be added to a bank that does not exist', async () => {
    await expect(db.pool.query(`delete from banks where name = 'mixed'`)).rejects.toMatchObject({
      code: '23001',
    });
    await expect(
      addEntries(db.pool, '00000000-0000-4000-8000-000000000000', [{ signal: 'md5', value: md5(1) }], topic),
    ).rejects.toMatchObject({ code: CurationErrorCode.UnknownBank });
  });
});

describe("the caller's step in a bank change's transaction", () => {
  const boom = () => Promise.reject(new Error('audit failed'));
  const count = async (sql: string, args: unknown[] = []) =>
    (await db.pool.query<{ n: number }>(`select count(*)::int as n from ${sql}`, args)).rows[0]?.n;

  it('runs with the result and commits with the change; when it fails, nothing is written', async () => {
    const outboxBefore = await count('outbox');
    await expect(
      createBank(
        db.pool,
        { name: 'doomed', source: 't', signalTypes: ['sha256'], actionPolicy: 'review' },
        topic,
        {
          inTransaction: boom,
        },
      ),
    ).rejects.toThrow('audit failed');
    expect(await count('banks where name = $1', ['doomed'])).toBe(0);
    expect(await count('outbox')).toBe(outboxBefore);

    const seen: string[] = [];
    const { bank } = await createBank(
      db.pool,
      { name: 'kept', source: 't', signalTypes: ['sha256'], actionPolicy: 'review' },
      topic,
      { inTransaction: async (c, b) => void seen.push(`created ${b.name} ${await banksWithId(c, b.id)}`) },
    );
    // The step saw the bank inside the transaction.
    expect(seen).toEqual(['created kept 1']);

    await expect(
      updateBankSettings(db.pool, bank.id, { enabled: false }, topic, { inTransaction: boom }),
    ).rejects.toThrow('audit failed');
    expect(await count('banks where id = $1 and enabled', [bank.id])).toBe(1);
    const changed = await updateBankSettings(db.pool, bank.id, { enabled: false }, topic, {
      inTransaction: async (_c, b) => void seen.push(`enabled ${b.enabled}`),
    });
    expect(changed?.enabled).toBe(false);
    expect(seen.at(-1)).toBe('enabled false');
    // No such bank: null, and the step does not run.
    expect(
      await updateBankSettings(db.pool, '00000000-0000-4000-8000-000000000000', { enabled: true }, topic, {
        inTransaction: boom,
      }),
    ).toBeNull();

    const list = `sha256,${sha(0xaa)}\nsha256,${sha(0xbb)}\n`;
    await expect(
      importBankList(db.pool, {
        bankId: bank.id,
        format: 'csv',
        input: Readable.from([list]),
        changesTopic: topic,
        inTransaction: boom,
      }),
    ).rejects.toThrow('audit failed');
    expect(await count('bank_entries where bank_id = $1', [bank.id])).toBe(0);
    const reports: unknown[] = [];
    const report = await importBankList(db.pool, {
      bankId: bank.id,
      format: 'csv',
      input: Readable.from([list]),
      changesTopic: topic,
      inTransaction: async (_c, r) => void reports.push(r),
    });
    expect(reports).toEqual([report]);
    expect(report).toMatchObject({ bank: 'kept', lines: 2, badLines: 0, added: 2 });
    expect(await count('bank_entries where bank_id = $1 and removed_at is null', [bank.id])).toBe(2);
  });

  it('imports into a bank by id; an unknown id is an unknown bank', async () => {
    await expect(
      importBankList(db.pool, {
        bankId: '00000000-0000-4000-8000-000000000000',
        format: 'csv',
        input: Readable.from(['']),
        changesTopic: topic,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.UnknownBank });
  });
});

async function banksWithId(c: PoolClient, bankId: string): Promise<number | undefined> {
  return (await c.query<{ n: number }>('select count(*)::int as n from banks where id = $1', [bankId]))
    .rows[0]?.n;
}
