import { createHash } from 'node:crypto';
import { chmod, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { listLiveEntries } from '@mod/db/banks';
import { bankCommand } from './bank.js';
import { urlListCommand } from './url-list.js';
import {
  db,
  exitOf,
  expectImportProgress,
  runExpecting,
  useListCommands,
} from './modctl-database.test-helper.js';

const listFile = useListCommands('bank');

describe('modctl bank', () => {
  it('refuses a bank name the API would refuse (it stands in a download file name as it is)', async () => {
    for (const name of ['a"b', 'x;filename=y.html', 'Ngân hàng', '', 'n'.repeat(101)]) {
      const run = await runExpecting(
        bankCommand,
        ['create', '--name', name, '--source', 'test', '--signals', 'md5', '--policy', 'review'],
        2,
      );
      if (name !== '')
        expect(JSON.parse(run.err[0] ?? '{}'), name).toMatchObject({
          error: { code: 'MOD_ERR_CLI_INVALID_VALUE' },
        });
    }
    expect((await db.pool.query('select count(*)::int as n from banks')).rows[0]).toEqual({ n: 0 });
  });

  it('creates a bank, imports a list with bad lines (exit 3), re-imports idempotently, exports a round-trippable list', async () => {
    const c = await runExpecting(
      bankCommand,
      ['create', '--name', 'ncmec', '--source', 'NCMEC', '--signals', 'md5,pdq', '--policy', 'automatic'],
      0,
    );
    expect(JSON.parse(c.out[0] ?? '{}')).toMatchObject({ name: 'ncmec', actionPolicy: 'automatic' });

    const file = listFile('list.tsv');
    await writeFile(
      file,
      `signal\tvalue\tquality\nmd5\t${'a'.repeat(32)}\npdq\t${'f0'.repeat(32)}\t88\nmd5\tnope\n`,
    );
    const i = await runExpecting(bankCommand, ['import', '--bank', 'ncmec', '--format', 'tsv', file], 3);
    expect(JSON.parse(i.out[0] ?? '{}')).toMatchObject({ added: 2, badLines: 1, lines: 3 });
    // The entries name the file and the operator that brought them in.
    const provenances = await db.pool.query<{ provenance: string }>(
      'select distinct provenance from bank_entries',
    );
    expect(provenances.rows).toEqual([{ provenance: `modctl import of ${file} by modctl:alice` }]);
    expect(JSON.parse(i.err[0] ?? '{}')).toMatchObject({
      line: 4,
      error: { code: 'MOD_ERR_MATCHER_LIST_BAD_HEX' },
    });

    const strict = await runExpecting(
      bankCommand,
      ['import', '--bank', 'ncmec', '--format', 'tsv', '--strict', file],
      1,
    );
    expect(strict.err.at(-1)).toContain('MOD_ERR_CURATION_STRICT_REJECTED');

    const out = listFile('export.jsonl');
    expect(await exitOf(bankCommand, ['export', '--bank', 'ncmec', '--format', 'jsonl', '--out', out])).toBe(
      0,
    );
    const exported = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { signal: string });
    expect(exported.map((e) => e.signal).sort()).toEqual(['md5', 'pdq']);

    const again = await runExpecting(bankCommand, ['import', '--bank', 'ncmec', '--format', 'jsonl', out], 0);
    expect(JSON.parse(again.out[0] ?? '{}')).toMatchObject({ added: 0, removed: 0, unchanged: 2 });
    expect((await listLiveEntries(db.pool)).length).toBe(2);

    // Every change and export is audited in its own transaction, naming the operator; the refused strict import
    // is not.
    const { rows } = await db.pool.query<{ record: string }>('select record from audit_records order by seq');
    const audited = rows.map((r) => JSON.parse(r.record) as { action: string; actor: { id: string } });
    expect(audited.map((r) => r.action)).toEqual([
      'bank.created',
      'bank.imported',
      'bank.exported',
      'bank.imported',
    ]);
    expect(new Set(audited.map((r) => r.actor.id))).toEqual(new Set(['modctl:alice']));
  });

  it("refuses control characters in a new bank's or URL list's free text (exit 2), as the API does", async () => {
    const create = ['create', '--signals', 'md5'];
    for (const [flag, text] of [
      ['--source', 'two\nlines'],
      ['--licence', 'esc\u001b[2J'],
      ['--list-version', 'tab\there'],
      ['--source', 'nsfw\u202egpj.exe'],
      ['--category-scheme', ''],
    ] as const) {
      const args = ['--name', `ctl-${flag.slice(2)}`, '--source', 'test', flag, text];
      expect(await exitOf(bankCommand, [...create, ...args]), flag).toBe(2);
      if (flag !== '--category-scheme')
        expect(await exitOf(urlListCommand, ['create', ...args]), flag).toBe(2);
    }
    expect((await db.pool.query(`select 1 from banks where name like 'ctl-%'`)).rows).toEqual([]);
  });

  it('imports with its progress on stderr when asked (--progress) or watched (a terminal), and only then', async () => {
    expect(
      await exitOf(bankCommand, ['create', '--name', 'big', '--source', 'test', '--signals', 'md5']),
    ).toBe(0);
    // Real digests: uniform, as the lists' are.
    const md5 = (i: number) => createHash('md5').update(String(i)).digest('hex');
    const lines = Array.from({ length: 20_000 }, (_, i) => `md5,${md5(i)}`);
    lines[4] = 'md5,nope';
    const progress = await expectImportProgress({
      command: bankCommand,
      args: ['import', '--bank', 'big', '--format', 'csv'],
      file: listFile('big.csv'),
      lines,
      badLine: { line: 5, code: 'MOD_ERR_MATCHER_LIST_BAD_HEX' },
    });
    expect(progress.at(-1)?.['linesPerSecond']).toBeGreaterThan(0);
    expect(progress.at(-1)?.['elapsedSeconds']).toEqual(expect.any(Number));
  });

  it("exports to a new file of the operator's alone, never into one that exists (planted, or a symlink)", async () => {
    await exitOf(bankCommand, ['create', '--name', 'licensed', '--source', 'test', '--signals', 'md5']);
    const list = listFile('licensed.csv');
    await writeFile(list, `md5,${'b'.repeat(32)}\n`);
    expect(await exitOf(bankCommand, ['import', '--bank', 'licensed', '--format', 'csv', list])).toBe(0);
    const exported = () =>
      db.pool.query(`select 1 from audit_records where record::jsonb->>'action' = 'bank.exported'`);
    const before = (await exported()).rowCount;
    const out = listFile('licensed-export.csv');
    expect(await exitOf(bankCommand, ['export', '--bank', 'licensed', '--format', 'csv', '--out', out])).toBe(
      0,
    );
    expect(await readFile(out, 'utf8')).toContain('b'.repeat(32));
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    // Another local user's file, writable by all, waiting where the export goes; or a symlink to a file of theirs.
    const planted = listFile('planted.csv');
    await writeFile(planted, 'mine\n');
    await chmod(planted, 0o666);
    const link = listFile('link.csv');
    await symlink(planted, link);
    for (const target of [planted, link, out]) {
      const run = await runExpecting(
        bankCommand,
        ['export', '--bank', 'licensed', '--format', 'csv', '--out', target],
        1,
      );
      expect(JSON.parse(run.err.at(-1) ?? '{}'), target).toMatchObject({
        error: { code: 'MOD_ERR_CLI_OUTPUT_EXISTS' },
      });
    }
    expect(await readFile(planted, 'utf8')).toBe('mine\n');
    // Only the export that was written is on record.
    expect((await exported()).rowCount).toBe((before ?? 0) + 1);
  });

  it('refuses bad usage and unknown banks with typed errors', async () => {
    expect(await exitOf(bankCommand, ['import', '--bank', 'x', '--format', 'xml', 'f'])).toBe(2);
    const c = await runExpecting(
      bankCommand,
      ['import', '--bank', 'missing', '--format', 'csv', listFile('list.tsv')],
      1,
    );
    expect(c.err.at(-1)).toContain('MOD_ERR_CURATION_UNKNOWN_BANK');
    // A list that cannot be read is the operator's input, said as such (not as a bug), and changes nothing.
    await exitOf(bankCommand, ['create', '--name', 'unread', '--source', 'test', '--signals', 'md5']);
    for (const file of [listFile('no-such-list.csv'), listFile('')]) {
      const run = await runExpecting(bankCommand, ['import', '--bank', 'unread', '--format', 'csv', file], 1);
      expect(JSON.parse(run.err.at(-1) ?? '{}'), file).toMatchObject({
        error: { code: 'MOD_ERR_CLI_FILE_UNREADABLE' },
      });
    }
  });
});
