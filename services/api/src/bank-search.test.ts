import { describe, expect, it } from 'vitest';
import { urlSearchKeys } from './routes/bank-search.js';
import { useCallersWorld } from './callers-world.test-helper.js';

const api = useCallersWorld({ curator: ['hotline-1', 'curator'], authority: ['auth-1', 'authority'] });

type Found = {
  searchedAs: string;
  entries: { bankName: string; list: string; type: string; value: string }[];
};
const search = async (q: string, key = api.keys.curator) => {
  const res = await api.call(key, 'GET', `/v1/banks/search?q=${encodeURIComponent(q)}`);
  return { status: res.statusCode, body: res.json<Found>() };
};

async function bank(name: string, lines: string[]): Promise<void> {
  const created = await api.call(api.keys.curator, 'POST', '/v1/banks', {
    name,
    source: 'test',
    signalTypes: ['sha256', 'md5'],
    actionPolicy: 'review',
  });
  const res = await api.app.inject({
    method: 'POST',
    url: `/v1/banks/${created.json<{ id: string }>().id}/import?format=csv`,
    headers: { authorization: `Bearer ${api.keys.curator}`, 'content-type': 'text/csv' },
    payload: `${lines.join('\n')}\n`,
  });
  expect(res.statusCode, res.body).toBe(200);
}

describe('entry search across banks and URL lists', () => {
  it('finds a hash exactly, in every bank that holds it, whatever its case', async () => {
    const shared = 'ab'.repeat(32);
    const md5 = 'cd'.repeat(16);
    await bank('search-a', [`sha256,${shared}`, `md5,${md5}`]);
    await bank('search-b', [`sha256,${shared}`, `sha256,${'ef'.repeat(32)}`]);
    const found = await search(shared.toUpperCase());
    expect(found).toEqual({
      status: 200,
      body: {
        searchedAs: 'hash',
        entries: [
          expect.objectContaining({ bankName: 'search-a', list: 'bank', type: 'sha256', value: shared }),
          expect.objectContaining({ bankName: 'search-b', list: 'bank', type: 'sha256', value: shared }),
        ],
      },
    });
    expect((await search(md5)).body.entries).toEqual([expect.objectContaining({ type: 'md5', value: md5 })]);
    // Exact: a part of a hash is not a hash.
    expect((await search(shared.slice(0, 40) + '00')).body.entries).toEqual([]);
  });

  it('finds URL-list entries by a URL written any way the lists normalise, and the host and domains covering it', async () => {
    const created = await api.call(api.keys.curator, 'POST', '/v1/url-lists', {
      name: 'search-urls',
      source: 'test',
      actionPolicy: 'review',
    });
    const id = created.json<{ id: string }>().id;
    const added = await api.call(api.keys.curator, 'POST', `/v1/url-lists/${id}/entries`, {
      entries: [
        { kind: 'url', pattern: 'abuse.example/gallery/7.html' },
        { kind: 'domain', pattern: 'ring.example' },
      ],
    });
    expect(added.statusCode, added.body).toBe(200);
    const url = await search('HTTP://Abuse.Example/gallery/./7.html');
    expect(url).toMatchObject({
      status: 200,
      body: {
        searchedAs: 'url',
        entries: [{ list: 'url-list', type: 'url', value: 'abuse.example/gallery/7.html' }],
      },
    });
    const sub = await search('https://cdn.ring.example/a.jpg');
    expect(sub.body.entries).toEqual([expect.objectContaining({ type: 'domain', value: 'ring.example' })]);
    expect((await search('abuse.example/gallery/8.html')).body.entries).toEqual([]);
  });

  it('refuses what is neither a hash nor a URL, and authorities (they see which lists exist, not entries)', async () => {
    expect((await search('not a url at all')).status).toBe(400);
    expect((await search('ab'.repeat(32), api.keys.authority)).status).toBe(403);
  });

  it('makes the keys the lists make: URL, prefix, host, and the host and its parent domains', () => {
    expect(urlSearchKeys('https://a.b.example/x?y=1')).toEqual([
      { kind: 'url', key: 'a.b.example/x?y=1' },
      { kind: 'host', key: 'a.b.example' },
      { kind: 'domain', key: 'a.b.example' },
      { kind: 'domain', key: 'b.example' },
    ]);
    expect(urlSearchKeys('http://[::1')).toBeNull();
  });
});
