import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importUrlList } from '@mod/curation';
import { tenantWithKey } from '@mod/testing';
import { normalizeUrlOrThrow } from '@mod/urls';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { waitFor } from './helpers.js';
import { createIsp, startFetcher, type StartedFetcher } from './isp-helpers.js';

usePipelineWorld();
let fetcher: StartedFetcher;
let curatorKey: string;
let isp: { id: string; key: string };

beforeAll(async () => {
  fetcher = await startFetcher(world, {});
  curatorKey = await tenantWithKey(world.db, { id: 'hotline', kind: 'hotline', role: 'curator' });
  isp = await createIsp(world, 'isp-x');
});

afterAll(async () => {
  await fetcher?.service.stop();
});

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = curatorKey) =>
  pipeline.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

/** Entry ids of the running fetcher's index that match a URL. */
const fetcherHits = (url: string) =>
  fetcher.service.urlLists
    .index()
    .match(normalizeUrlOrThrow(url))
    .map((m) => m.entry.id);

describe('URL-list curation reaches running fetchers (Kafka) and ISP feeds (PostgreSQL)', () => {
  it('adds, removes, bulk-imports and disables entries; fetchers and feeds follow without a restart', async () => {
    const created = await api('POST', '/v1/url-lists', {
      name: 'hotline-urls',
      source: 'hotline',
      actionPolicy: 'automatic',
    });
    expect(created.statusCode).toBe(201);
    const listId = created.json<{ id: string }>().id;
    const before = await api('GET', '/v1/isp/feeds/url-list', undefined, isp.key);
    const serial = Number(before.headers['x-feed-serial']);

    const added = await api('POST', `/v1/url-lists/${listId}/entries`, {
      entries: [
        { kind: 'prefix', pattern: 'http://curated.example/dir/' },
        { kind: 'domain', pattern: 'ring.example', dedicatedToAbuse: true },
      ],
    });
    const [prefixId, domainId] = added.json<{ added: { id: string }[] }>().added.map((e) => e.id);
    await waitFor('fetcher sees the added entries', async () => {
      const hits = [
        ...fetcherHits('https://CURATED.example/dir/img.jpg'),
        ...fetcherHits('http://cdn.ring.example/x'),
      ];
      return hits.length === 2 || undefined;
    });
    expect(fetcherHits('https://curated.example/dir/img.jpg')).toEqual([prefixId]);
    expect(fetcherHits('https://curated.example/other')).toEqual([]);

    const inc = await api('GET', `/v1/isp/feeds/url-list?since=${serial}`, undefined, isp.key);
    expect(inc.headers['x-feed-kind']).toBe('incremental');
    expect(inc.body.split('\n').filter((l) => l.startsWith('+') || l.startsWith('-'))).toEqual([
      '+curated.example/dir/',
    ]);
    const rpz = await api('GET', '/v1/isp/feeds/rpz', undefined, isp.key);
    expect(rpz.body).toContain('ring.example CNAME .');

    // Removal: the fetcher stops matching, the feed drops the line.
    const removed = await api('POST', `/v1/url-lists/${listId}/entries/remove`, {
      entries: [{ id: prefixId }],
      reason: 'taken down at source',
    });
    expect(removed.json()).toMatchObject({ removed: [{ id: prefixId }] });
    await waitFor('fetcher drops the removed entry', async () =>
      fetcherHits('https://curated.example/dir/img.jpg').length === 0 ? true : undefined,
    );
    const urls = await api('GET', '/v1/isp/feeds/url-list', undefined, isp.key);
    expect(urls.body).not.toContain('curated.example');

    // A bulk import: one resync message; the fetcher reloads from PostgreSQL.
    const report = await importUrlList(world.db, {
      bankId: listId,
      format: 'txt',
      mode: 'append',
      input: Readable.from([
        Buffer.from(Array.from({ length: 25 }, (_, i) => `bulk.example/p${i}`).join('\n')),
      ]),
      changesTopic: world.topics.urlListChanges,
      provenance: 'e2e bulk',
      by: { actor: { kind: 'user', id: 'e2e' }, role: 'curator', tenantId: 'hotline' },
      bulkThreshold: 10,
    });
    expect(report).toMatchObject({ added: 25, resync: true });
    await waitFor('fetcher reloads after the resync', async () =>
      fetcherHits('http://bulk.example/p24').length === 1 ? true : undefined,
    );
    expect(fetcherHits('http://cdn.ring.example/x')).toEqual([domainId]);

    // Disabling the list reaches the fetcher's bank settings; the feeds leave it out.
    const disabled = await api('PATCH', `/v1/url-lists/${listId}`, { enabled: false });
    expect(disabled.statusCode).toBe(200);
    await waitFor('fetcher sees the list disabled', async () =>
      fetcher.service.urlLists.bank(listId)?.enabled === false ? true : undefined,
    );
    const off = await api('GET', '/v1/isp/feeds/domain-list', undefined, isp.key);
    expect(off.body).not.toContain('ring.example');
  });
});
