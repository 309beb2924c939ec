import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { addUrlListEntries, listUrlListEntries } from '@mod/db/url-lists';
import { CurationErrorCode, importUrlList, type EntryError } from './index.js';
import { expectImportProgress } from './import-progress.test-helper.js';
import {
  by,
  changes,
  db,
  describeUrlListCuration,
  importText,
  lastOutboxId,
  newList,
  topic,
} from './url-lists.test-helper.js';

describeUrlListCuration(() => {
  it('imports txt and jsonl lists: per-line errors, replace and append, flag updates, duplicates, idempotent', async () => {
    const list = await newList('iwf-import');
    const errors: EntryError[] = [];
    const txt = [
      '# IWF-style list',
      'abuse.example/a.html',
      'HTTP://ABUSE.example/a.html', // same key as line 2
      'ftp://abuse.example/b',
      '',
      'abuse.example/c.html\r',
    ].join('\n');
    const first = await importText(list.id, txt, {
      provenance: 'iwf 2026-11-28',
      onLineError: (e) => errors.push(e),
    });
    expect(first).toMatchObject({
      lines: 4,
      badLines: 1,
      added: 2,
      updated: 0,
      removed: 0,
      unchanged: 0,
      duplicates: 1,
      resync: false,
    });
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(errors).toEqual([{ index: 4, code: 'MOD_ERR_URL_SCHEME', message: expect.any(String) as string }]);

    const mark = await lastOutboxId();
    const jsonl = [
      JSON.stringify({ kind: 'url', pattern: 'abuse.example/a.html' }),
      JSON.stringify({ kind: 'url', pattern: 'abuse.example/c.html', category: 'B' }), // flags changed
      JSON.stringify({ kind: 'domain', pattern: 'only-abuse.example', dedicatedToAbuse: true }),
      '{broken',
      JSON.stringify({ kind: 'url', pattern: 'x.example/', unknown: 1 }),
    ].join('\n');
    const lineErrors: EntryError[] = [];
    const second = await importText(list.id, jsonl, {
      format: 'jsonl',
      mode: 'append',
      provenance: 'curator',
      onLineError: (e) => lineErrors.push(e),
    });
    expect(second).toMatchObject({ added: 1, updated: 1, removed: 0, unchanged: 1, badLines: 2 });
    expect(lineErrors.map((e) => [e.index, e.code])).toEqual([
      [4, CurationErrorCode.UrlLineJson],
      [5, CurationErrorCode.UrlEntryInvalid],
    ]);
    const announced = (await changes(mark)).map((c) => c.change.type);
    expect(announced).toEqual(['url-entry-removed', 'url-entry-added', 'url-entry-added']);
    const live = await listUrlListEntries(db.pool, list.id, { limit: 100 });
    expect(live.map((e) => [e.canonicalKey, e.category])).toEqual([
      ['abuse.example/a.html', null],
      ['abuse.example/c.html', 'B'],
      ['only-abuse.example', null],
    ]);

    // Replace with a list of one: the others are removed. The same list again changes nothing.
    const replace = async () =>
      importUrlList(db.pool, {
        bankId: list.id,
        format: 'txt',
        defaults: { kind: 'domain', dedicatedToAbuse: true },
        input: Readable.from(['only-abuse.example']),
        changesTopic: topic,
        provenance: 'curator',
        by,
      });
    expect(await replace()).toMatchObject({ added: 0, updated: 0, removed: 2, unchanged: 1 });
    const mark2 = await lastOutboxId();
    expect(await replace()).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 1 });
    expect(await changes(mark2)).toEqual([]);

    const audit = (await listAudit(db.pool, { subjectId: list.id })).map((a) => a.action);
    expect(audit).toEqual([
      'url_list.created',
      'url_list.imported',
      'url_list.imported',
      'url_list.imported',
      'url_list.imported',
    ]);
  });

  it('refuses strict imports with bad lines and replace imports without a valid line; nothing changes', async () => {
    const list = await newList('strict-list');
    const mark = await lastOutboxId();
    await expect(
      importText(list.id, 'good.example/1\nftp://bad.example/\n', { strict: true }),
    ).rejects.toMatchObject({ code: CurationErrorCode.StrictRejected });
    await expect(importText(list.id, '# nothing\n\n')).rejects.toMatchObject({
      code: CurationErrorCode.EmptyList,
    });
    expect(await listUrlListEntries(db.pool, list.id, { limit: 10 })).toEqual([]);
    expect(await changes(mark)).toEqual([]);
  });

  it('refuses a replace whose lines are mostly bad unless forced; nothing changes', async () => {
    const list = await newList('mangled-list');
    await importText(list.id, 'kept.example/1\nkept.example/2\n');
    const mark = await lastOutboxId();
    const mangled = 'kept.example/1\nftp://bad.example/1\nftp://bad.example/2\n';
    await expect(importText(list.id, mangled)).rejects.toMatchObject({
      code: CurationErrorCode.MostlyBadLines,
    });
    expect(await listUrlListEntries(db.pool, list.id, { limit: 10 })).toHaveLength(2);
    expect(await changes(mark)).toEqual([]);
    expect(await importText(list.id, mangled, { force: true })).toMatchObject({ removed: 1, badLines: 2 });
  });

  it('a bulk import announces one resync instead of one message per entry', async () => {
    const list = await newList('bulk-list');
    const mark = await lastOutboxId();
    const lines = Array.from({ length: 30 }, (_, i) => `bulk.example/${i}`).join('\n');
    const report = await importText(list.id, lines, { bulkThreshold: 10 });
    expect(report).toMatchObject({ added: 30, resync: true });
    expect((await changes(mark)).map((c) => [c.key, c.change])).toEqual([
      [`url-resync:${list.id}`, { type: 'url-lists-resync', bankId: list.id }],
    ]);
  });

  it('reports its progress every 1000 lines read, then once when the whole list is staged', async () => {
    const list = await newList('progress-list');
    const lines = Array.from({ length: 2500 }, (_, i) => (i === 4 ? 'ftp://x.example/' : `p.example/${i}`));
    await expectImportProgress(
      (onProgress) => importText(list.id, lines.join('\n'), { onProgress }),
      { lines: 2500, badLines: 1, added: 2499 },
      [
        { phase: 'reading', lines: 1000, badLines: 1 },
        { phase: 'reading', lines: 2000, badLines: 1 },
        { phase: 'applying', lines: 2500, badLines: 1 },
      ],
    );
  });

  it('a NUL or other control character in a pattern is a bad line, not a failed import', async () => {
    const list = await newList('nul-list');
    const errors: EntryError[] = [];
    const txt = ['nul.example/a\u0000b.html', 'nul\u0000.example/', '\ufeffnul.example/c', 'nul.example/d\r'];
    const report = await importText(list.id, txt.join('\n'), { onLineError: (e) => errors.push(e) });
    expect(report).toMatchObject({ lines: 4, badLines: 2, added: 2 });
    expect(errors.map((e) => [e.index, e.code, e.message])).toEqual(
      [1, 2].map((i) => [i, CurationErrorCode.UrlEntryInvalid, 'pattern must be without control characters']),
    );
    const stored = await listUrlListEntries(db.pool, list.id, { limit: 10 });
    expect(stored.map((e) => e.pattern).sort()).toEqual(['nul.example/c', 'nul.example/d']);
  });

  it('matches entries keyed before escapes such as %7C and %27 were decoded: no second live entry', async () => {
    const list = await newList('stored-keys-import');
    // As stored before FEED_RENDER_VERSION 4 (stored rows never change).
    const stored = [
      { kind: 'url' as const, pattern: 'a.example/it%27s%7Chere', canonicalKey: 'a.example/it%27s%7Chere' },
    ];
    const { added } = await addUrlListEntries(db.pool, list.id, stored, topic);
    const page = "http://a.example/it's|here";
    expect(await importText(list.id, page, { mode: 'append', provenance: 'x' })).toMatchObject({
      added: 0,
      unchanged: 1,
    });
    expect(await importText(list.id, page, { provenance: 'x' })).toMatchObject({ added: 0, removed: 0 });
    const live = await listUrlListEntries(db.pool, list.id, { limit: 10 });
    expect(live.map((e) => e.id)).toEqual([added[0]!.id]);
  });
});
