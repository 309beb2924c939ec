import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { urlListChangeCodec, type UrlListChange } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { seedTenants } from '@mod/testing';
import { useCallersWorld } from './callers-world.test-helper.js';
import { bearer } from './testing.test-helper.js';

const api = useCallersWorld({
  curator: ['hotline-1', 'curator'],
  isp: ['isp-1', 'isp'],
  authority: ['auth-1', 'authority'],
});
let curatorKeyId: string;

beforeAll(async () => {
  // The ISP takes the blocking feeds (a caller's tenant is made unsubscribed).
  await seedTenants(api.db, [{ id: 'isp-1', kind: 'isp' }]);
  const me = await api.call(api.keys.curator, 'GET', '/v1/me');
  curatorKeyId = me.json<{ credentialId: string }>().credentialId;
});

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = api.keys.curator) =>
  api.call(key, method, url, payload);

/** URL-list changes waiting in the outbox (the relay publishes them), decoded as fetchers decode them. */
async function announced(afterId: number): Promise<{ id: number; key: string; change: UrlListChange }[]> {
  const { rows } = await api.db.query<{ id: number; key: string; payload: unknown }>(
    'select id, key, payload from outbox where topic = $1 and id > $2 order by id',
    [api.world.topics.urlListChanges, afterId],
  );
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    change: urlListChangeCodec.decode(Buffer.from(JSON.stringify(r.payload))),
  }));
}
const outboxMark = async () =>
  (await api.db.query<{ id: number | null }>('select max(id) as id from outbox')).rows[0]?.id ?? 0;

async function newList(name: string): Promise<string> {
  const res = await call('POST', '/v1/url-lists', { name, source: 'hotline', actionPolicy: 'automatic' });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

interface Entry {
  id: string;
  kind: string;
  canonicalKey: string;
  removedAt: string | null;
}

describe('URL-list routes', () => {
  it('creates a list (a second one of the same name is a conflict) and lists it for authorities too', async () => {
    const mark = await outboxMark();
    const id = await newList('hotline-urls');
    expect((await announced(mark)).map((a) => a.change)).toEqual([
      {
        type: 'url-bank-upserted',
        bankId: id,
        name: 'hotline-urls',
        enabled: true,
        negative: false,
        actionPolicy: 'automatic',
      },
    ]);
    const again = await call('POST', '/v1/url-lists', {
      name: 'hotline-urls',
      source: 'x',
      actionPolicy: 'review',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'MOD_ERR_API_CONFLICT' } });
    const listed = await call('GET', '/v1/url-lists', undefined, api.keys.authority);
    expect(listed.json<{ lists: { name: string; entries: number }[] }>().lists).toEqual([
      expect.objectContaining({ name: 'hotline-urls', entries: 0 }),
    ]);
    const audit = await listAudit(api.db, { subjectId: id });
    expect(audit.map((a) => [a.action, a.actor.id])).toEqual([['url_list.created', curatorKeyId]]);
  });

  it('adds entries with per-entry errors; the ISP feeds include them at once; fetchers are told', async () => {
    const id = await newList('feed-list');
    const mark = await outboxMark();
    const res = await call('POST', `/v1/url-lists/${id}/entries`, {
      entries: [
        { kind: 'url', pattern: 'HTTP://Abuse.example/gallery/./7.html', category: 'A' },
        { kind: 'url', pattern: 'ftp://abuse.example/x' },
        { kind: 'domain', pattern: 'only-abuse.example', dedicatedToAbuse: true },
        { kind: 'domain', pattern: 'com' },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      added: Entry[];
      unchanged: Entry[];
      errors: { index: number; code: string }[];
    }>();
    expect(body.added.map((e) => [e.kind, e.canonicalKey])).toEqual([
      ['url', 'abuse.example/gallery/7.html'],
      ['domain', 'only-abuse.example'],
    ]);
    expect(body.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'MOD_ERR_URL_SCHEME'],
      [3, 'MOD_ERR_URL_LIST_ENTRY_INVALID'],
    ]);
    expect((await announced(mark)).map((a) => [a.key, a.change.type])).toEqual(
      body.added.map((e) => [`url-entry:${e.id}`, 'url-entry-added']),
    );

    const urls = await call('GET', '/v1/isp/feeds/url-list', undefined, api.keys.isp);
    expect(urls.body.split('\n')).toContain('abuse.example/gallery/7.html');
    const domains = await call('GET', '/v1/isp/feeds/domain-list', undefined, api.keys.isp);
    expect(domains.body.split('\n')).toContain('only-abuse.example');

    // A malformed request (not a URL problem) is refused as a whole.
    const bad = await call('POST', `/v1/url-lists/${id}/entries`, {
      entries: [{ kind: 'regex', pattern: '.*' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });
    const extra = await call('POST', `/v1/url-lists/${id}/entries`, {
      entries: [{ kind: 'url', pattern: 'a.example/', evil: true }],
    });
    expect(extra.json()).toMatchObject({ error: { code: 'MOD_ERR_API_UNKNOWN_FIELD' } });

    // Removal takes the entry out of the feeds.
    const removed = await call('POST', `/v1/url-lists/${id}/entries/remove`, {
      entries: [{ kind: 'domain', pattern: 'ONLY-ABUSE.example.' }, { id: '999999' }],
      reason: 'site gone',
    });
    expect(removed.json()).toMatchObject({
      removed: [{ canonicalKey: 'only-abuse.example' }],
      notFound: [1],
    });
    const after = await call('GET', '/v1/isp/feeds/domain-list', undefined, api.keys.isp);
    expect(after.body.split('\n')).not.toContain('only-abuse.example');
    const audit = await listAudit(api.db, { subjectId: body.added[1]!.id });
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['url_list.entry_added', null],
      ['url_list.entry_removed', 'site gone'],
    ]);
  });

  it('pages through entries with a cursor, optionally with removed ones and by kind', async () => {
    const id = await newList('paged-list');
    const added = await call('POST', `/v1/url-lists/${id}/entries`, {
      entries: [1, 2, 3, 4, 5].map((n) => ({
        kind: n === 5 ? 'host' : 'url',
        pattern: `p${n}.example${n === 5 ? '' : '/x'}`,
      })),
    });
    const ids = added.json<{ added: Entry[] }>().added.map((e) => e.id);
    await call('POST', `/v1/url-lists/${id}/entries/remove`, { entries: [{ id: ids[0] }], reason: 'test' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        `/v1/url-lists/${id}/entries?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(page.statusCode).toBe(200);
      const b = page.json<{ entries: Entry[]; nextCursor: string | null }>();
      seen.push(...b.entries.map((e) => e.id));
      cursor = b.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(ids.slice(1));
    const all = await call('GET', `/v1/url-lists/${id}/entries?includeRemoved=true&limit=100`);
    const allEntries = all.json<{ entries: Entry[] }>().entries;
    expect(allEntries.map((e) => e.id)).toEqual(ids);
    expect(allEntries[0]?.removedAt).not.toBeNull();
    const hosts = await call('GET', `/v1/url-lists/${id}/entries?kind=host`);
    expect(hosts.json<{ entries: Entry[] }>().entries.map((e) => e.canonicalKey)).toEqual(['p5.example']);
    const badCursor = await call('GET', `/v1/url-lists/${id}/entries?cursor=abc`);
    expect(badCursor.statusCode).toBe(400);

    // Paging through a list reads it out of the system as an export does (lists are licensed and name abuse
    // locations): every page is on record, with the caller and its credential, before an entry is sent.
    const reads = (await listAudit(api.db, { subjectId: id, limit: 100 })).filter(
      (a) => a.action === 'url_list.entries_read',
    );
    expect(reads).toHaveLength(pages + 2);
    expect(reads[0]).toMatchObject({ role: 'curator', tenantId: 'hotline-1' });
    expect(Object.keys(reads[0]!.evidence)).toEqual(
      expect.arrayContaining(['credential', 'limit', 'cursor', 'includeRemoved']),
    );
    // No record, no entries: a log that refuses the record sends nothing of the list.
    await api.db.query(
      `alter table audit_records add constraint refuse_list_reads check (
         (record::jsonb ->> 'action') <> 'url_list.entries_read') not valid`,
    );
    try {
      const refused = await call('GET', `/v1/url-lists/${id}/entries`);
      expect(refused.statusCode).toBe(500);
      expect(refused.body).not.toContain('p5.example');
    } finally {
      await api.db.query('alter table audit_records drop constraint refuse_list_reads');
    }
  });

  it('imports a list file: per-line errors, strict rejection, replace; a JSON body is refused', async () => {
    const id = await newList('import-list');
    const importList = (query: string, payload: string, contentType = 'text/plain') =>
      api.app.inject({
        method: 'POST',
        url: `/v1/url-lists/${id}/import?${query}`,
        headers: { ...bearer(api.keys.curator), 'content-type': contentType },
        payload,
      });
    const res = await importList(
      'format=txt',
      '# list\nabuse.example/1\nftp://abuse.example/2\nabuse.example/3\n',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      lines: 3,
      badLines: 1,
      added: 2,
      lineErrors: [{ index: 3, code: 'MOD_ERR_URL_SCHEME' }],
      lineErrorsTruncated: false,
    });
    const strict = await importList('format=txt&strict=true', 'abuse.example/9\nnot a url at all\n');
    expect(strict.statusCode).toBe(400);
    expect(strict.json()).toMatchObject({ error: { code: 'MOD_ERR_API_LIST_REJECTED' } });
    // A preview of the replace: the counts, and the list as it was.
    const preview = await importList(
      'format=jsonl&mode=replace&dryRun=true',
      `${JSON.stringify({ kind: 'domain', pattern: 'ring.example', dedicatedToAbuse: true })}\n`,
      'application/x-ndjson',
    );
    expect(preview.json()).toMatchObject({ dryRun: true, added: 1, removed: 2, unchanged: 0 });
    const live = await call('GET', `/v1/url-lists/${id}/entries`);
    expect(live.json<{ entries: unknown[] }>().entries).toHaveLength(2);
    const jsonl = await importList(
      'format=jsonl&mode=replace',
      `${JSON.stringify({ kind: 'domain', pattern: 'ring.example', dedicatedToAbuse: true })}\n`,
      'application/x-ndjson',
    );
    expect(jsonl.json()).toMatchObject({ added: 1, removed: 2, unchanged: 0 });
    const asJson = await api.app.inject({
      method: 'POST',
      url: `/v1/url-lists/${id}/import?format=txt`,
      headers: bearer(api.keys.curator),
      payload: { pattern: 'x.example' },
    });
    expect(asJson.statusCode).toBe(400);
    expect(asJson.json()).toMatchObject({ error: { code: 'MOD_ERR_API_UNKNOWN_FIELD' } });
    const audit = await listAudit(api.db, { subjectId: id });
    expect(audit.map((a) => a.action)).toEqual([
      'url_list.created',
      'url_list.imported',
      'url_list.entries_read',
      'url_list.imported',
    ]);
  });

  it('changes settings (announced), and answers 404 for unknown lists and for hash banks', async () => {
    const id = await newList('settings-list');
    const mark = await outboxMark();
    const res = await call('PATCH', `/v1/url-lists/${id}`, { enabled: false, actionPolicy: 'review' });
    expect(res.json()).toMatchObject({ enabled: false, actionPolicy: 'review' });
    expect((await announced(mark)).map((a) => a.change)).toEqual([
      expect.objectContaining({ type: 'url-bank-upserted', enabled: false, actionPolicy: 'review' }),
    ]);
    const hashBank = await call('POST', '/v1/banks', {
      name: 'hash-bank',
      source: 'x',
      signalTypes: ['sha256'],
      actionPolicy: 'review',
    });
    for (const bankId of [randomUUID(), hashBank.json<{ id: string }>().id]) {
      const answers = await Promise.all([
        call('PATCH', `/v1/url-lists/${bankId}`, { enabled: true }),
        call('GET', `/v1/url-lists/${bankId}/entries`),
        call('POST', `/v1/url-lists/${bankId}/entries`, {
          entries: [{ kind: 'url', pattern: 'x.example/' }],
        }),
        call('POST', `/v1/url-lists/${bankId}/entries/remove`, { entries: [{ id: '1' }], reason: 'x' }),
        api.app.inject({
          method: 'POST',
          url: `/v1/url-lists/${bankId}/import?format=txt`,
          headers: { ...bearer(api.keys.curator), 'content-type': 'text/plain' },
          payload: 'x.example/\n',
        }),
      ]);
      expect(answers.map((a) => [a.statusCode, a.json<{ error: { code: string } }>().error.code])).toEqual(
        Array(5).fill([404, 'MOD_ERR_API_NOT_FOUND']),
      );
    }
  });

  it("refuses a domain entry for a suffix others register under, the PSL's private ones too (github.io)", async () => {
    const id = await newList('suffix-list');
    const res = await call('POST', `/v1/url-lists/${id}/entries`, {
      entries: [
        { kind: 'domain', pattern: 'github.io', dedicatedToAbuse: true },
        { kind: 'domain', pattern: 'blogspot.com' },
        { kind: 'domain', pattern: 'abuser.github.io', dedicatedToAbuse: true },
        { kind: 'host', pattern: 'github.io' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ added: Entry[]; errors: { index: number; code: string }[] }>();
    expect(body.errors.map((e) => [e.index, e.code])).toEqual([
      [0, 'MOD_ERR_URL_LIST_ENTRY_INVALID'],
      [1, 'MOD_ERR_URL_LIST_ENTRY_INVALID'],
    ]);
    expect(body.added.map((e) => [e.kind, e.canonicalKey])).toEqual([
      ['domain', 'abuser.github.io'],
      ['host', 'github.io'],
    ]);
    const imported = await api.app.inject({
      method: 'POST',
      url: `/v1/url-lists/${id}/import?format=txt&mode=append&kind=domain`,
      headers: { ...bearer(api.keys.curator), 'content-type': 'text/plain' },
      payload: 'appspot.com\n',
    });
    expect(imported.json()).toMatchObject({
      added: 0,
      badLines: 1,
      lineErrors: [{ index: 1, code: 'MOD_ERR_URL_LIST_ENTRY_INVALID' }],
    });
  });

  it('answers 404 on the hash-bank routes for a URL list: its settings change only where fetchers are told', async () => {
    const id = await newList('not-a-hash-bank');
    const mark = await outboxMark();
    const answers = [
      await call('PATCH', `/v1/banks/${id}`, { enabled: false }),
      await call('GET', `/v1/banks/${id}/export?format=csv`),
      await api.app.inject({
        method: 'POST',
        url: `/v1/banks/${id}/import?format=csv`,
        headers: { ...bearer(api.keys.curator), 'content-type': 'text/csv' },
        payload: `sha256,${'a'.repeat(64)}\n`,
      }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404]);
    expect(answers.map((a) => a.json<{ error: { code: string } }>().error.code)).toEqual(
      Array(3).fill('MOD_ERR_API_NOT_FOUND'),
    );
    const banks = await call('GET', '/v1/banks');
    expect(banks.json<{ banks: { id: string }[] }>().banks.map((b) => b.id)).not.toContain(id);
    expect(await announced(mark)).toEqual([]);
    const list = await call('GET', '/v1/url-lists');
    expect(
      list.json<{ lists: { id: string; enabled: boolean }[] }>().lists.find((l) => l.id === id),
    ).toMatchObject({
      enabled: true,
    });
  });
});
