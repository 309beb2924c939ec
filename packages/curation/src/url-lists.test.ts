import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlListChangeCodec } from '@mod/contracts';
import {
  createTestSchema,
  listAudit,
  listUrlListEntries,
  listWantedBlocklist,
  upsertTenant,
  type TestDatabase,
} from '@mod/db';
import {
  CurationErrorCode,
  addUrlListPatterns,
  createBank,
  createUrlList,
  importUrlList,
  removeUrlListPatterns,
  updateUrlListSettings,
  validateUrlListEntry,
  type Curator,
  type EntryError,
  type ImportProgress,
} from './index.js';

let db: TestDatabase;
const topic = 'test.url-list-changes';
const by: Curator = { actor: { kind: 'user', id: 'curator-key-1' }, role: 'curator', tenantId: 'hotline-1' };

beforeAll(async () => {
  db = await createTestSchema();
  await upsertTenant(db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
});
afterAll(async () => db.drop());

/** Outbox messages for the URL-list topic after `afterId`, decoded with the contract codec (as fetchers do). */
async function changes(afterId = 0) {
  const { rows } = await db.pool.query<{ id: number; key: string; payload: unknown }>(
    'select id, key, payload from outbox where topic = $1 and id > $2 order by id',
    [topic, afterId],
  );
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    change: urlListChangeCodec.decode(Buffer.from(JSON.stringify(r.payload))),
  }));
}
const lastOutboxId = async () =>
  (await db.pool.query<{ id: number | null }>('select max(id) as id from outbox')).rows[0]?.id ?? 0;

async function newList(name: string) {
  return (await createUrlList(db.pool, { name, source: 'test', actionPolicy: 'automatic' }, topic, by)).bank;
}

describe('URL-list entry validation', () => {
  it('normalises with the URL normaliser and gives each bad entry a stable code', () => {
    const ok = validateUrlListEntry({ kind: 'url', pattern: ' HTTP://Abuse.EXAMPLE:80/a/../b.html#x ' });
    expect(ok).toEqual({
      ok: true,
      entry: {
        kind: 'url',
        pattern: 'HTTP://Abuse.EXAMPLE:80/a/../b.html#x',
        canonicalKey: 'abuse.example/b.html',
        dedicatedToAbuse: false,
        block: true,
        category: null,
        note: null,
      },
    });
    const code = (e: unknown) => {
      const v = validateUrlListEntry(e);
      return v.ok ? 'ok' : v.code;
    };
    expect(code({ kind: 'url', pattern: 'ftp://x.example/a' })).toBe('MOD_ERR_URL_SCHEME');
    expect(code({ kind: 'url', pattern: 'http://exa mple.org/' })).toBe('MOD_ERR_URL_INVALID');
    expect(code({ kind: 'url', pattern: `x.example/${'a'.repeat(9000)}` })).toBe('MOD_ERR_URL_TOO_LONG');
    expect(code({ kind: 'domain', pattern: 'co.uk' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'host', pattern: 'x.example/path' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'prefix', pattern: 'x.example/dir?q=1' })).toBe('MOD_ERR_URL_LIST_ENTRY_INVALID');
    expect(code({ kind: 'regex', pattern: 'x.example' })).toBe(CurationErrorCode.UrlEntryInvalid);
    expect(code({ kind: 'url', pattern: 'x.example/', extra: 1 })).toBe(CurationErrorCode.UrlEntryInvalid);
    expect(code({ kind: 'url', pattern: 'x.example/', dedicatedToAbuse: 'yes' })).toBe(
      CurationErrorCode.UrlEntryInvalid,
    );
    expect(code({ kind: 'url', pattern: 'x.example/', category: 'a\nb' })).toBe(
      CurationErrorCode.UrlEntryInvalid,
    );
    expect(code('x.example')).toBe(CurationErrorCode.UrlEntryInvalid);
  });
});

describe('URL-list curation through PostgreSQL', () => {
  it('adds entries (normalised, deduplicated, per-entry errors), announces and audits each', async () => {
    const list = await newList('hotline-urls');
    const mark = await lastOutboxId();
    const report = await addUrlListPatterns(db.pool, {
      bankId: list.id,
      entries: [
        { kind: 'url', pattern: 'http://Abuse.example/gallery/./1.html', category: 'A' },
        { kind: 'url', pattern: 'ftp://abuse.example/2' },
        { kind: 'domain', pattern: 'dedicated.example', dedicatedToAbuse: true },
        { kind: 'url', pattern: 'https://abuse.example/gallery/1.html' }, // same key as the first
        { kind: 'host', pattern: 'shared-host.example' },
      ],
      changesTopic: topic,
      provenance: 'test',
      by,
    });
    expect(report.errors).toEqual([
      { index: 1, code: 'MOD_ERR_URL_SCHEME', message: expect.stringContaining('ftp') as string },
    ]);
    expect(report.added.map((e) => [e.kind, e.canonicalKey])).toEqual([
      ['url', 'abuse.example/gallery/1.html'],
      ['domain', 'dedicated.example'],
      ['host', 'shared-host.example'],
    ]);
    expect(report.unchanged).toEqual([]);

    const announced = await changes(mark);
    expect(announced.map((c) => c.change.type)).toEqual([
      'url-entry-added',
      'url-entry-added',
      'url-entry-added',
    ]);
    expect(announced[0]).toMatchObject({
      key: `url-entry:${report.added[0]!.id}`,
      change: {
        entry: {
          entryId: report.added[0]!.id,
          bankId: list.id,
          kind: 'url',
          dedicatedToAbuse: false,
          category: 'A',
        },
      },
    });
    const audit = await listAudit(db.pool, { subjectId: report.added[0]!.id });
    expect(audit.map((a) => [a.action, a.actor.id, a.role])).toEqual([
      ['url_list.entry_added', 'curator-key-1', 'curator'],
    ]);
    // The address stays out of the log; its digest identifies it.
    expect(audit[0]?.canonical).not.toContain('abuse.example');
    expect(audit[0]?.evidence).toMatchObject({
      keySha256: createHash('sha256').update('abuse.example/gallery/1.html').digest('hex'),
    });
    const docs = await db.pool.query<{ document: string }>(
      'select document from audit_evidence where seq = $1',
      [audit[0]?.seq],
    );
    expect(docs.rows.map((r) => r.document).join(' ')).not.toContain('abuse.example');

    // Again: nothing new, nothing announced.
    const mark2 = await lastOutboxId();
    const again = await addUrlListPatterns(db.pool, {
      bankId: list.id,
      entries: [{ kind: 'url', pattern: 'abuse.example/gallery/1.html' }],
      changesTopic: topic,
      provenance: 'test',
      by,
    });
    expect(again.added).toEqual([]);
    expect(again.unchanged.map((e) => e.id)).toEqual([report.added[0]!.id]);
    expect(await changes(mark2)).toEqual([]);

    // Strict: one bad entry, nothing added.
    const strict = await addUrlListPatterns(db.pool, {
      bankId: list.id,
      entries: [
        { kind: 'url', pattern: 'new.example/x' },
        { kind: 'url', pattern: '' },
      ],
      changesTopic: topic,
      provenance: 'test',
      by,
      strict: true,
    });
    expect(strict.added).toEqual([]);
    expect(strict.errors.map((e) => e.index)).toEqual([1]);
    expect((await listUrlListEntries(db.pool, list.id, { limit: 100 })).length).toBe(3);

    // Feeds see a URL entry and a dedicated domain; a non-dedicated host stays out (IWF practice).
    const wanted = await listWantedBlocklist(db.pool, 'isp-1');
    expect(wanted.map((w) => w.target).sort()).toEqual([
      'dedicated.example',
      'http://Abuse.example/gallery/./1.html',
    ]);
  });

  it('removes by id or pattern (soft, history kept), announces and audits with the reason', async () => {
    const list = await newList('to-remove');
    const { added } = await addUrlListPatterns(db.pool, {
      bankId: list.id,
      entries: [
        { kind: 'url', pattern: 'a.example/1' },
        { kind: 'prefix', pattern: 'a.example/dir/' },
        { kind: 'url', pattern: 'a.example/3' },
      ],
      changesTopic: topic,
      provenance: 'test',
      by,
    });
    const other = await newList('other-list');
    const { added: foreign } = await addUrlListPatterns(db.pool, {
      bankId: other.id,
      entries: [{ kind: 'url', pattern: 'b.example/1' }],
      changesTopic: topic,
      provenance: 'test',
      by,
    });
    const mark = await lastOutboxId();
    const report = await removeUrlListPatterns(db.pool, {
      bankId: list.id,
      removals: [
        { id: added[0]!.id },
        { kind: 'prefix', pattern: 'HTTP://A.EXAMPLE/dir/' },
        { kind: 'url', pattern: 'a.example/never-listed' },
        { id: foreign[0]!.id }, // another list's entry: not found here
        { id: 'abc' },
        { kind: 'url', pattern: 'gopher://a.example/' },
      ],
      reason: 'taken down at source',
      changesTopic: topic,
      by,
    });
    expect(report.removed.map((e) => e.id).sort()).toEqual([added[0]!.id, added[1]!.id].sort());
    expect(report.notFound).toEqual([2, 3]);
    expect(report.errors.map((e) => [e.index, e.code])).toEqual([
      [4, CurationErrorCode.UrlEntryInvalid],
      [5, 'MOD_ERR_URL_SCHEME'],
    ]);
    const announced = await changes(mark);
    expect(announced.map((c) => c.change)).toEqual(
      [added[0]!.id, added[1]!.id].map((entryId) => ({
        type: 'url-entry-removed',
        entryId,
        bankId: list.id,
      })),
    );
    const live = await listUrlListEntries(db.pool, list.id, { limit: 10 });
    expect(live.map((e) => e.id)).toEqual([added[2]!.id]);
    const all = await listUrlListEntries(db.pool, list.id, { limit: 10, includeRemoved: true });
    expect(all.filter((e) => e.removedAt !== null)).toHaveLength(2);
    const audit = await listAudit(db.pool, { subjectId: added[1]!.id });
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['url_list.entry_added', null],
      ['url_list.entry_removed', 'taken down at source'],
    ]);
    // Removing again: nothing to remove.
    const again = await removeUrlListPatterns(db.pool, {
      bankId: list.id,
      removals: [{ id: added[0]!.id }],
      reason: 'again',
      changesTopic: topic,
      by,
    });
    expect(again).toEqual({ removed: [], notFound: [0], errors: [] });
  });

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
    const first = await importUrlList(db.pool, {
      bankId: list.id,
      format: 'txt',
      input: Readable.from([Buffer.from(txt)]),
      changesTopic: topic,
      provenance: 'iwf 2026-11-28',
      by,
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
    const second = await importUrlList(db.pool, {
      bankId: list.id,
      format: 'jsonl',
      mode: 'append',
      input: Readable.from([Buffer.from(jsonl)]),
      changesTopic: topic,
      provenance: 'curator',
      by,
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
      importUrlList(db.pool, {
        bankId: list.id,
        format: 'txt',
        strict: true,
        input: Readable.from([Buffer.from('good.example/1\nftp://bad.example/\n')]),
        changesTopic: topic,
        provenance: 'test',
        by,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.StrictRejected });
    await expect(
      importUrlList(db.pool, {
        bankId: list.id,
        format: 'txt',
        input: Readable.from([Buffer.from('# nothing\n\n')]),
        changesTopic: topic,
        provenance: 'test',
        by,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.EmptyList });
    expect(await listUrlListEntries(db.pool, list.id, { limit: 10 })).toEqual([]);
    expect(await changes(mark)).toEqual([]);
  });

  it('a bulk import announces one resync instead of one message per entry', async () => {
    const list = await newList('bulk-list');
    const mark = await lastOutboxId();
    const lines = Array.from({ length: 30 }, (_, i) => `bulk.example/${i}`).join('\n');
    const report = await importUrlList(db.pool, {
      bankId: list.id,
      format: 'txt',
      input: Readable.from([Buffer.from(lines)]),
      changesTopic: topic,
      provenance: 'test',
      by,
      bulkThreshold: 10,
    });
    expect(report).toMatchObject({ added: 30, resync: true });
    expect((await changes(mark)).map((c) => [c.key, c.change])).toEqual([
      [`url-resync:${list.id}`, { type: 'url-lists-resync', bankId: list.id }],
    ]);
  });

  it('reports its progress every 1000 lines read, then once when the whole list is staged', async () => {
    const list = await newList('progress-list');
    const lines = Array.from({ length: 2500 }, (_, i) => (i === 4 ? 'ftp://x.example/' : `p.example/${i}`));
    const events: ImportProgress[] = [];
    const report = await importUrlList(db.pool, {
      bankId: list.id,
      format: 'txt',
      input: Readable.from([Buffer.from(lines.join('\n'))]),
      changesTopic: topic,
      provenance: 'test',
      by,
      onProgress: (p) => events.push({ ...p }),
    });
    expect(report).toMatchObject({ lines: 2500, badLines: 1, added: 2499 });
    expect(events).toEqual([
      { phase: 'reading', lines: 1000, badLines: 1 },
      { phase: 'reading', lines: 2000, badLines: 1 },
      { phase: 'applying', lines: 2500, badLines: 1 },
    ]);
  });

  it('settings changes reach fetchers; hash banks and unknown lists are refused with typed errors', async () => {
    const list = await newList('settings-list');
    const mark = await lastOutboxId();
    const changed = await updateUrlListSettings(db.pool, list.id, { enabled: false }, topic, by);
    expect(changed).toMatchObject({ enabled: false });
    expect((await changes(mark)).map((c) => c.change)).toEqual([
      {
        type: 'url-bank-upserted',
        bankId: list.id,
        name: 'settings-list',
        enabled: false,
        negative: false,
        actionPolicy: 'automatic',
      },
    ]);
    const { bank: hashBank } = await createBank(
      db.pool,
      { name: 'hashes', source: 'test', signalTypes: ['sha256'], actionPolicy: 'review' },
      'test.bank-changes',
    );
    expect(await updateUrlListSettings(db.pool, hashBank.id, { enabled: false }, topic, by)).toBeNull();
    await expect(
      addUrlListPatterns(db.pool, {
        bankId: hashBank.id,
        entries: [{ kind: 'url', pattern: 'x.example/' }],
        changesTopic: topic,
        provenance: 'test',
        by,
      }),
    ).rejects.toMatchObject({ code: CurationErrorCode.UnknownUrlList });
    await expect(
      createUrlList(db.pool, { name: 'hashes', source: 'x', actionPolicy: 'review' }, topic, by),
    ).rejects.toMatchObject({ code: CurationErrorCode.NotUrlList });
    const again = await createUrlList(
      db.pool,
      { name: 'settings-list', source: 'x', actionPolicy: 'review' },
      topic,
      by,
    );
    expect(again).toMatchObject({ created: false, bank: { id: list.id } });
  });
});
