import { describe, expect, it } from 'vitest';
import { CurationErrorCode, addEntries, createBank, type ImportProgress, type LineError } from './index.js';
import { db, importList, outbox, pdq, topic, useBankDatabase } from './bank-import.test-helper.js';
import { expectImportProgress } from './import-progress.test-helper.js';

useBankDatabase();

describe('bank import across signals and sizes', () => {
  const md5 = (n: number) => n.toString(16).padStart(32, '0');
  // PDQ values padded with a, not 0: an all-zero PDQ (i = 0) is blank media's, refused as degenerate.
  const list = (from: number, to: number): string =>
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      return i % 2 === 0 ? `pdq,${i.toString(16).padStart(64, 'a')}` : `md5,${md5(i)}`;
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
      importList('mixed', 'csv', list(from, to), { bulkThreshold: 30 });
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
    await expectImportProgress(
      (onProgress) =>
        importList('progress', 'csv', [`${list(0, 10)}\n`, `${list(10, 25)}\nmd5,zz\n`], { onProgress }),
      { lines: 26, badLines: 1, added: 25 },
      [
        { phase: 'reading', lines: 10, badLines: 0 },
        { phase: 'reading', lines: 26, badLines: 1 },
        { phase: 'applying', lines: 26, badLines: 1 },
      ],
    );
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
    await importList('grown', 'csv', list(1000, 6000));
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
    const strict = (text: string) => importList('repeats', 'csv', text, { strict: true });
    // A strict import of a list whose only bad line is a repeat writes nothing.
    await expect(strict(`pdq,${pdq(7)}\npdq,${pdq(7)}\n`)).rejects.toMatchObject({
      code: CurationErrorCode.StrictRejected,
    });
    expect(await live(bank.id)).toEqual([]);

    const errors: LineError[] = [];
    const events: ImportProgress[] = [];
    const report = await importList('repeats', 'csv', csv, {
      force: true,
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

  it('a NUL character in a category or note is a bad line, not a failed import (text cannot hold one)', async () => {
    const { bank } = await createBank(
      db.pool,
      { name: 'nul', source: 'test', signalTypes: ['pdq'], actionPolicy: 'review' },
      topic,
    );
    const errors: LineError[] = [];
    const onLineError = (e: LineError) => errors.push(e);
    const csv = `pdq,${pdq(1)},,cat\u0000x\npdq,${pdq(2)},,A,note\u0000\npdq,${pdq(3)}\n`;
    expect(await importList('nul', 'csv', csv, { onLineError, force: true })).toMatchObject({
      badLines: 2,
      added: 1,
    });
    const jsonl = [
      JSON.stringify({ signal: 'pdq', value: pdq(4), note: 'a\u0000b' }),
      JSON.stringify({ signal: 'pdq', value: pdq(5) }),
    ].join('\n');
    const report = await importList('nul', 'jsonl', jsonl, { onLineError, mode: 'append' });
    expect(report).toMatchObject({ badLines: 1, added: 1 });
    expect(errors.map((e) => [e.lineNumber, e.code])).toEqual([
      [1, 'MOD_ERR_MATCHER_LIST_BAD_FIELD'],
      [2, 'MOD_ERR_MATCHER_LIST_BAD_FIELD'],
      [1, 'MOD_ERR_MATCHER_LIST_BAD_FIELD'],
    ]);
    expect(await live(bank.id)).toEqual([`pdq:${pdq(3)}`, `pdq:${pdq(5)}`]);
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
