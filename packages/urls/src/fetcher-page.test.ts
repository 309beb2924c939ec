import { describe, expect, it } from 'vitest';
import { harness, JPEG, PAGE_HTML, useFetcherServers } from './fetcher.test-helper.js';

const servers = useFetcherServers();

describe('safe fetcher: page mode', () => {
  it('answers with an HTML page (after redirects), asking for pages and images', async () => {
    const h = harness();
    const outcome = await h.fetchPage(`http://public.test:${servers.port}/page-redirect`);
    expect(outcome).toMatchObject({
      ok: true,
      kind: 'page',
      url: `http://public.test:${servers.port}/page`,
      redirects: [`http://public.test:${servers.port}/page-redirect`],
      contentType: 'text/html; charset=utf-8',
      truncated: false,
    });
    expect(outcome.ok && outcome.bytes.toString('utf8')).toBe(PAGE_HTML);
    expect(h.labels).toEqual(['page']);
    expect(h.dnsCalls).toEqual(['public.test', 'public.test']);
  });

  it('answers with media when the bytes say image, whatever the header says', async () => {
    const h = harness();
    const outcome = await h.fetchPage(`http://public.test:${servers.port}/page-image`);
    expect(outcome).toMatchObject({ ok: true, mediaType: 'image/jpeg' });
    expect(outcome.ok && !('kind' in outcome) && outcome.bytes.equals(JPEG)).toBe(true);
    expect(h.labels).toEqual(['ok']);
  });

  it('reads at most maxPageBytes of a page, whatever its declared length', async () => {
    const h = harness({ maxBytes: 1_000_000 });
    const outcome = await h.fetchPage(`http://public.test:${servers.port}/page-huge`, 64 * 1024);
    expect(outcome).toMatchObject({ ok: true, kind: 'page', truncated: true });
    expect(outcome.ok && outcome.bytes.length).toBe(64 * 1024);
    expect(outcome.ok && outcome.bytes.subarray(0, 34).toString()).toBe('<html><body><img src="/first.jpg">');
  });

  it.each(['/page-text-first', '/page-utf16', '/page-utf16-header', '/page-binary'])(
    'answers with a page a browser shows, however it starts: %s',
    async (path) => {
      const h = harness();
      expect(await h.fetchPage(`http://public.test:${servers.port}${path}`)).toMatchObject({
        ok: true,
        kind: 'page',
      });
    },
  );

  it('answers with a page sent without a Content-Type when its start sniffs as HTML, as a browser does', async () => {
    const h = harness();
    expect(await h.fetchPage(`http://public.test:${servers.port}/page-untyped`)).toMatchObject({
      ok: true,
      kind: 'page',
      contentType: '',
    });
    expect(await h.fetchPage(`http://public.test:${servers.port}/untyped-text`)).toMatchObject({
      ok: false,
      reason: 'not-media',
    });
  });

  it('refuses an HTML page labelled as an image', async () => {
    const h = harness();
    expect(await h.fetchPage(`http://public.test:${servers.port}/html`)).toMatchObject({
      ok: false,
      reason: 'not-media',
    });
  });

  it('keeps media mode as it was: a page is refused as not media', async () => {
    const h = harness();
    expect(await h.fetch(`http://public.test:${servers.port}/page`)).toMatchObject({
      ok: false,
      reason: 'not-media',
    });
    expect(servers.publicServer.requests).toEqual([{ url: '/page', host: `public.test:${servers.port}` }]);
  });

  it('vets a page like media: a private address is never dialled', async () => {
    const h = harness();
    expect(await h.fetchPage(`http://127.0.0.1:${servers.port}/page`)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
    expect(servers.privateRequestCount()).toBe(0);
  });
});
