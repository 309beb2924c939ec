import { beforeAll, describe, expect, it } from 'vitest';
import { listLiveEntries } from '@mod/db/banks';
import { CurationErrorCode, createBank, updateBankSettings, type LineError } from './index.js';
import { db, importList, outbox, pdq, sha, topic, useBankDatabase } from './bank-import.test-helper.js';

useBankDatabase();
beforeAll(async () => {
  await createBank(
    db.pool,
    { name: 'iwf', source: 'test', signalTypes: ['pdq', 'sha256', 'md5'], actionPolicy: 'automatic' },
    topic,
  );
});

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
    // More bad lines than good: a replace takes them only when forced.
    const report = await importList('iwf', 'csv', csv, { onLineError: (e) => errors.push(e), force: true });
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

    const again = await importList('iwf', 'csv', csv, { force: true });
    expect(again).toMatchObject({ added: 0, removed: 0, unchanged: 3 });
    expect(await outbox()).toHaveLength(4);
  });

  it('replaces: entries missing from the new list are soft-removed and announced', async () => {
    const jsonl = [
      `{"signal":"pdq","value":"${pdq(1)}","quality":90}`,
      `{"signal":"pdq","value":"${pdq(4)}"}`,
    ].join('\n');
    const report = await importList('iwf', 'jsonl', jsonl);
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
    await expect(importList('iwf', 'tsv', tsv, { strict: true })).rejects.toMatchObject({
      code: CurationErrorCode.StrictRejected,
    });
    await expect(importList('iwf', 'csv', 'garbage\n')).rejects.toMatchObject({
      code: CurationErrorCode.EmptyList,
    });
    expect((await listLiveEntries(db.pool)).map((e) => e.value).sort()).toEqual([pdq(1), pdq(4)].sort());
    await expect(importList('nope', 'csv', '')).rejects.toMatchObject({
      code: CurationErrorCode.UnknownBank,
    });
  });

  it('refuses a replace whose lines are mostly bad unless forced: a mangled file does not shrink the bank', async () => {
    // A list whose format changed under its publisher: one line still reads, the rest do not.
    const mangled = `pdq,${pdq(1)}\n${[1, 2, 3].map((i) => `${pdq(i)};pdq`).join('\n')}\n`;
    await expect(importList('iwf', 'csv', mangled)).rejects.toMatchObject({
      code: CurationErrorCode.MostlyBadLines,
    });
    await expect(importList('iwf', 'csv', mangled, { dryRun: true })).rejects.toMatchObject({
      code: CurationErrorCode.MostlyBadLines,
    });
    expect((await listLiveEntries(db.pool)).map((e) => e.value).sort()).toEqual([pdq(1), pdq(4)].sort());
    // Appending from it removes nothing; a curator who read the report may force the replace.
    expect(await importList('iwf', 'csv', mangled, { mode: 'append' })).toMatchObject({ badLines: 3 });
    expect(await importList('iwf', 'csv', mangled, { force: true, dryRun: true })).toMatchObject({
      removed: 1,
      badLines: 3,
    });
    expect((await listLiveEntries(db.pool)).map((e) => e.value).sort()).toEqual([pdq(1), pdq(4)].sort());
  });

  it('sends one resync instead of per-entry changes for a bulk import, and announces setting changes', async () => {
    const lines = Array.from(
      { length: 50 },
      (_, i) => `sha256,${(i + 1000).toString(16).padStart(64, '0')}`,
    ).join('\n');
    const before = (await outbox()).length;
    const report = await importList('iwf', 'csv', lines, { mode: 'append', bulkThreshold: 10 });
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
