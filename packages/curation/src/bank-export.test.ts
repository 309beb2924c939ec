import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportBankEntries, type ExportFormat } from '@mod/db/banks';
import { addEntries, createBank } from './index.js';
import { db, importList, pdq, topic, useBankDatabase } from './bank-import.test-helper.js';

useBankDatabase();

// Categories and notes of lists others made, some starting as a spreadsheet formula would.
const texts: { category: string | null; note: string | null }[] = [
  { category: '=cat', note: '=HYPERLINK("http://x","click")' },
  { category: '+cmd', note: `+cmd|' /C calc'!A0` },
  { category: '-1', note: '@SUM(A1)' },
  { category: "'=quoted", note: "''@twice" },
  { category: 'A', note: 'plain, with "quotes"' },
];
// Stored before control characters were refused (imported then): still exported defused, no longer imported back.
const legacy: { category: string | null; note: string | null }[] = [
  { category: null, note: '\t=tab first' },
  { category: "'plain", note: '\r=carriage return first' },
];

async function newBank(name: string): Promise<string> {
  const { bank } = await createBank(
    db.pool,
    { name, source: 'test', signalTypes: ['pdq'], actionPolicy: 'review' },
    topic,
  );
  return bank.id;
}

async function exported(bankId: string, format: ExportFormat): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await exportBankEntries(db.pool, bankId, format, out);
  return Buffer.concat(chunks).toString('utf8');
}

async function entries(
  bankId: string,
): Promise<{ value: string; category: string | null; note: string | null }[]> {
  const { rows } = await db.pool.query<{ value: string; category: string | null; note: string | null }>(
    `select value, category, note from bank_entries where bank_id = $1 and removed_at is null order by value`,
    [bankId],
  );
  return rows;
}

describe('bank export to spreadsheets', () => {
  it('defuses formula text in csv and tsv, keeps jsonl verbatim, and every format imports back the same', async () => {
    const source = await newBank('formulas');
    // JSONL takes text as it is: the bank holds the values exactly.
    const jsonl = texts.map((t, i) => JSON.stringify({ signal: 'pdq', value: pdq(i + 1), ...t })).join('\n');
    expect(await importList({ bankId: source }, 'jsonl', jsonl)).toMatchObject({ added: texts.length });
    const original = await entries(source);
    expect(original.map(({ category, note }) => ({ category, note }))).toEqual(texts);
    const stored = legacy.map((t, i) => ({ signal: 'pdq' as const, value: pdq(texts.length + i + 1), ...t }));
    await addEntries(db.pool, source, stored, topic);

    const csv = await exported(source, 'csv');
    expect(csv.split('\n').slice(0, 6)).toEqual([
      'signal,value,quality,category,note',
      `pdq,${pdq(1)},,'=cat,"'=HYPERLINK(""http://x"",""click"")"`,
      `pdq,${pdq(2)},,'+cmd,'+cmd|' /C calc'!A0`,
      `pdq,${pdq(3)},,'-1,'@SUM(A1)`,
      `pdq,${pdq(4)},,''=quoted,'''@twice`,
      `pdq,${pdq(5)},,A,"plain, with ""quotes"""`,
    ]);
    expect(csv).toContain(`pdq,${pdq(6)},,,'\t=tab first\n`);
    expect(csv).toContain(`pdq,${pdq(7)},,'plain,"'\r=carriage return first"\n`);
    const tsv = await exported(source, 'tsv');
    expect(tsv.split('\n').slice(1, 5)).toEqual([
      `pdq\t${pdq(1)}\t\t'=cat\t"'=HYPERLINK(""http://x"",""click"")"`,
      `pdq\t${pdq(2)}\t\t'+cmd\t'+cmd|' /C calc'!A0`,
      `pdq\t${pdq(3)}\t\t'-1\t'@SUM(A1)`,
      `pdq\t${pdq(4)}\t\t''=quoted\t'''@twice`,
    ]);
    expect(tsv).toContain(`pdq\t${pdq(6)}\t\t\t"'\t=tab first"\n`);
    const json = (await exported(source, 'jsonl')).trim().split('\n');
    expect(json.map((line) => JSON.parse(line) as unknown)).toEqual(
      [...texts, ...legacy].map((t, i) => ({
        signal: 'pdq',
        value: pdq(i + 1),
        ...(t.category === null ? {} : { category: t.category }),
        note: t.note,
      })),
    );

    for (const [format, text] of [
      ['csv', csv],
      ['tsv', tsv],
      ['jsonl', json.join('\n')],
    ] as const) {
      const copy = await newBank(`formulas-${format}`);
      const report = await importList({ bankId: copy }, format, text);
      expect(report, format).toMatchObject({ added: texts.length, badLines: legacy.length });
      expect(await entries(copy), format).toEqual(original);
    }
  });
});
