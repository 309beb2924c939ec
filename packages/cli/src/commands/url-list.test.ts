import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { urlListCommand } from './url-list.js';
import {
  db,
  exitOf,
  expectImportProgress,
  json,
  runCommand,
  runExpecting,
  useListCommands,
} from './modctl-database.test-helper.js';

const listFile = useListCommands('url-list');

/** URL-list changes enqueued for the prefixed topic. */
const announced = async () =>
  (
    await db.pool.query<{ type: string }>(
      `select payload ->> 'type' as type from outbox where topic = 'test.mod.url-list-changes.v1' order by id`,
    )
  ).rows.map((r) => r.type);

describe('modctl url-list', () => {
  it('creates a list, adds (exit 3 with a bad pattern), lists, removes by pattern, imports; all audited', async () => {
    const c = await runExpecting(
      urlListCommand,
      ['create', '--name', 'hotline', '--source', 'Hotline', '--policy', 'automatic'],
      0,
    );
    const created = json<{ created: boolean; bank: { id: string; name: string } }>(c.out[0]);
    expect(created).toMatchObject({ created: true, bank: { name: 'hotline', actionPolicy: 'automatic' } });

    const a = await runExpecting(
      urlListCommand,
      [
        'add',
        '--list',
        'hotline',
        '--kind',
        'url',
        '--category',
        'A',
        'Abuse.example/a/../b.html',
        'ftp://x.example/',
        'abuse.example/c',
      ],
      3,
    );
    expect(json(a.out[0])).toMatchObject({
      added: [
        { kind: 'url', canonicalKey: 'abuse.example/b.html' },
        { kind: 'url', canonicalKey: 'abuse.example/c' },
      ],
      errors: 1,
    });
    expect(json(a.err[0])).toMatchObject({ index: 1, error: { code: 'MOD_ERR_URL_SCHEME' } });

    await runExpecting(
      urlListCommand,
      ['add', '--list', 'hotline', '--kind', 'domain', '--dedicated', 'ring.example'],
      0,
    );

    const l = await runExpecting(urlListCommand, ['list', '--list', 'hotline'], 0);
    expect(l.out.map((line) => json<{ canonicalKey: string; dedicatedToAbuse: boolean }>(line))).toEqual([
      expect.objectContaining({
        canonicalKey: 'abuse.example/b.html',
        category: 'A',
        dedicatedToAbuse: false,
      }),
      expect.objectContaining({ canonicalKey: 'abuse.example/c' }),
      expect.objectContaining({ canonicalKey: 'ring.example', dedicatedToAbuse: true }),
    ]);
    const page = await runExpecting(
      urlListCommand,
      ['list', '--list', 'hotline', '--limit', '1', '--kind', 'url'],
      0,
    );
    expect(page.out).toHaveLength(1);

    const r = await runExpecting(
      urlListCommand,
      [
        'remove',
        '--list',
        'hotline',
        '--reason',
        'gone',
        '--kind',
        'url',
        'http://ABUSE.example/c',
        'abuse.example/zzz',
      ],
      3,
    );
    expect(json(r.out[0])).toMatchObject({ removed: [{ canonicalKey: 'abuse.example/c' }], notFound: 1 });
    expect(json(r.err[0])).toMatchObject({ index: 1, error: { code: 'MOD_ERR_CLI_NOT_LISTED' } });
    const removedLines = await runCommand(urlListCommand, ['list', '--list', 'hotline', '--removed']);
    expect(
      removedLines.out.filter((line) => json<{ removedAt: string | null }>(line).removedAt !== null),
    ).toHaveLength(1);

    const file = listFile('list.txt');
    await writeFile(file, '# IWF style\nabuse.example/b.html\nnew.example/x\nhttp://[::1\n');
    const i = await runExpecting(
      urlListCommand,
      ['import', '--list', 'hotline', '--format', 'txt', '--mode', 'append', '--category', 'A', file],
      3,
    );
    expect(json(i.out[0])).toMatchObject({ lines: 3, badLines: 1, added: 1, unchanged: 1, removed: 0 });
    const imported = await db.pool.query<{ provenance: string }>(
      `select provenance from url_list_entries where pattern = 'new.example/x'`,
    );
    expect(imported.rows).toEqual([{ provenance: `modctl import of ${file} by modctl:alice` }]);
    expect(json(i.err[0])).toMatchObject({ line: 4, error: { code: 'MOD_ERR_URL_INVALID' } });

    expect(await exitOf(urlListCommand, ['settings', '--list', 'hotline', '--enabled', 'false'])).toBe(0);

    expect(await announced()).toEqual([
      'url-bank-upserted',
      'url-entry-added',
      'url-entry-added',
      'url-entry-added',
      'url-entry-removed',
      'url-entry-added',
      'url-bank-upserted',
    ]);
    const actions = (await listAudit(db.pool, {}))
      .filter((x) => x.actor.id === 'modctl:alice')
      .map((x) => x.action);
    // Each listing is on record, as the API's page reads and every export are (the list leaves the system).
    expect(actions).toEqual([
      'url_list.created',
      'url_list.entry_added',
      'url_list.entry_added',
      'url_list.entry_added',
      'url_list.entries_read',
      'url_list.entries_read',
      'url_list.entry_removed',
      'url_list.entries_read',
      'url_list.imported',
      'url_list.settings_changed',
    ]);
  });

  it('imports with its progress on stderr when asked (--progress) or watched (a terminal), and only then', async () => {
    expect(await exitOf(urlListCommand, ['create', '--name', 'big', '--source', 'test'])).toBe(0);
    const lines = Array.from({ length: 5000 }, (_, i) => `big.example/page-${i}.html`);
    lines[9] = 'ftp://big.example/x';
    await expectImportProgress({
      command: urlListCommand,
      args: ['import', '--list', 'big', '--format', 'txt'],
      file: listFile('big.txt'),
      lines,
      badLine: { line: 10, code: 'MOD_ERR_URL_SCHEME' },
    });
  });

  it('refuses bad usage (exit 2) and unknown lists (exit 1, typed error)', async () => {
    expect(await exitOf(urlListCommand, ['add', '--list', 'hotline', '--kind', 'regex', 'x'])).toBe(2);
    expect(await exitOf(urlListCommand, ['add', '--list', 'hotline', '--kind', 'url'])).toBe(2);
    expect(await exitOf(urlListCommand, ['remove', '--list', 'hotline', '--kind', 'url', 'x.example/'])).toBe(
      2,
    );
    expect(
      await exitOf(urlListCommand, ['remove', '--list', 'hotline', '--reason', 'r', '--id', '1', 'x']),
    ).toBe(2);
    expect(await exitOf(urlListCommand, ['import', '--list', 'hotline', '--format', 'csv', 'f'])).toBe(2);
    expect(await exitOf(urlListCommand, ['settings', '--list', 'hotline'])).toBe(2);
    expect(await exitOf(urlListCommand, ['list', '--list', 'hotline', '--limit', '0'])).toBe(2);
    const c = await runExpecting(urlListCommand, ['list', '--list', 'missing'], 1);
    expect(json(c.err.at(-1))).toMatchObject({ error: { code: 'MOD_ERR_CURATION_UNKNOWN_URL_LIST' } });
    const file = listFile('strict.txt');
    await writeFile(file, 'ok.example/1\nftp://bad.example/\n');
    const s = await runExpecting(
      urlListCommand,
      ['import', '--list', 'hotline', '--format', 'txt', '--strict', file],
      1,
    );
    expect(s.err.at(-1)).toContain('MOD_ERR_CURATION_STRICT_REJECTED');
  });
});
