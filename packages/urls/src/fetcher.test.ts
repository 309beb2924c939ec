import { describe, expect, it } from 'vitest';
import { createSafeFetcher } from './fetcher.js';
import {
  fakeDns,
  harness,
  JPEG,
  PAGE_HTML,
  PUBLIC_IP,
  testPolicy,
  TLS_CERT,
  useFetcherServers,
} from './fetcher.test-helper.js';

const servers = useFetcherServers();

describe('safe fetcher: positive path (loopback alias treated as public by the test policy)', () => {
  it('fetches an image, dialling the vetted address with Host = the name', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://Public.TEST:${servers.port}/img.jpg#frag`);
    expect(outcome).toMatchObject({
      ok: true,
      mediaType: 'image/jpeg',
      address: PUBLIC_IP,
      status: 200,
      url: `http://public.test:${servers.port}/img.jpg`,
    });
    expect(outcome.ok && outcome.bytes.equals(JPEG)).toBe(true);
    expect(servers.publicServer.requests).toEqual([{ url: '/img.jpg', host: `public.test:${servers.port}` }]);
    expect(h.dials.map((dial) => [dial.hostname, dial.address])).toEqual([['public.test', PUBLIC_IP]]);
    expect(h.labels).toEqual(['ok']);
    expect(servers.privateRequestCount()).toBe(0);
  });

  it('follows a redirect, re-vetting the next hop', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://public.test:${servers.port}/redirect?to=/img.jpg&status=307`);
    expect(outcome).toMatchObject({
      ok: true,
      redirects: [`http://public.test:${servers.port}/redirect?to=/img.jpg&status=307`],
    });
    expect(h.dnsCalls).toEqual(['public.test', 'public.test']);
  });

  it("asks the caller's follow about a redirect's target before dialling it", async () => {
    const h = harness();
    const first = `http://public.test:${servers.port}/redirect?to=/img.jpg&status=302`;
    const asked: string[] = [];
    const outcome = await h.fetch(first, { follow: (target) => (asked.push(target.href), false) });
    const target = `http://public.test:${servers.port}/img.jpg`;
    expect(outcome).toMatchObject({ ok: false, reason: 'redirect-refused', url: target, redirects: [first] });
    expect(asked).toEqual([target]);
    expect(servers.publicServer.requests.map((r) => r.url)).toEqual(['/redirect?to=/img.jpg&status=302']);
    expect(h.labels).toEqual(['redirect-refused']);
  });
});

describe('safe fetcher: https through the pinned address', () => {
  it('sends SNI and verifies the certificate against the name, not the dialled IP', async () => {
    servers.tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    const outcome = await h.fetch(`https://public.test:${servers.tlsPort}/img.jpg`);
    expect(outcome).toMatchObject({ ok: true, mediaType: 'image/jpeg', address: PUBLIC_IP });
    expect(servers.tlsRequests).toEqual([
      { servername: 'public.test', host: `public.test:${servers.tlsPort}` },
    ]);
  });

  it('refuses a certificate that does not name the host, even on a vetted address', async () => {
    servers.tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    const outcome = await h.fetch(`https://impostor.test:${servers.tlsPort}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'connection-failed' });
    expect(outcome.ok ? '' : outcome.detail).toMatch(/altnames|certificate/i);
    expect(servers.tlsRequests).toEqual([]);
  });

  it('trusts only the system store by default (the self-signed test certificate is refused)', async () => {
    const h = harness();
    expect(await h.fetch(`https://public.test:${servers.tlsPort}/img.jpg`)).toMatchObject({
      ok: false,
      reason: 'connection-failed',
    });
  });
});

describe('safe fetcher: bounds and typed outcomes', () => {
  it('stops after maxRedirects', async () => {
    const h = harness({ maxRedirects: 3 });
    const outcome = await h.fetch(`http://public.test:${servers.port}/loop`);
    expect(outcome).toMatchObject({ ok: false, reason: 'too-many-redirects' });
    expect(servers.publicServer.requests).toHaveLength(4);
    expect(h.labels).toEqual(['too-many-redirects']);
  });

  // Each bound, met two ways (the headers say so, or the body shows it while streaming): the same typed refusal.
  it.each([
    [
      'refuses a body over maxBytes, by Content-Length or while streaming',
      { maxBytes: 10_000 },
      ['/big', '/big-chunked'],
      'too-large',
    ],
    ['times out a server that never answers', { timeoutMs: 300 }, ['/slow', '/stall-body'], 'timeout'],
  ] as const)('%s', async (_, bound, paths, reason) => {
    const h = harness(bound);
    for (const path of paths)
      expect(await h.fetch(`http://public.test:${servers.port}${path}`)).toMatchObject({ ok: false, reason });
    expect(h.labels).toEqual(paths.map(() => reason));
  });

  // One request each, answered with a typed refusal.
  it.each([
    ['reports a body cut short as a connection failure', '/cut-body', { reason: 'connection-failed' }],
    [
      'refuses a body whose magic bytes are not an image, whatever its Content-Type',
      '/html',
      { reason: 'not-media' },
    ],
    ['reports an HTTP error with its status', '/missing', { reason: 'http-status', status: 404 }],
    [
      'reports a redirect with an empty Location as an HTTP error with its status',
      '/redirect',
      { reason: 'http-status', status: 302 },
    ],
  ])('%s', async (_, path, refusal) => {
    const h = harness();
    expect(await h.fetch(`http://public.test:${servers.port}${path}`)).toMatchObject({
      ok: false,
      ...refusal,
    });
  });

  it.each(['nowhere.test', 'empty.test'])('reports a DNS failure for %s', async (name) => {
    const h = harness();
    expect(await h.fetch(`http://${name}:${servers.port}/`)).toMatchObject({
      ok: false,
      reason: 'dns-failure',
    });
  });

  it('refuses bad URLs and redirects to other schemes', async () => {
    const h = harness();
    expect(await h.fetch('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'bad-url' });
    expect(await h.fetch('not a url')).toMatchObject({ ok: false, reason: 'bad-url' });
    const outcome = await h.fetch(
      `http://public.test:${servers.port}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`,
    );
    expect(outcome).toMatchObject({ ok: false, reason: 'bad-url' });
    expect(h.labels).toEqual(['bad-url', 'bad-url', 'bad-url']);
  });

  it('reports a caller abort', async () => {
    const h = createSafeFetcher({ resolver: fakeDns().resolver, addressPolicy: testPolicy });
    const controller = new AbortController();
    const pending = h.fetch(`http://public.test:${servers.port}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, reason: 'aborted' });
  });

  it('refuses a server that switches protocols, and lets its host slot go (GET, page and POST)', async () => {
    const h = harness({ timeoutMs: 1_000, maxConcurrentPerHost: 1 });
    const url = `http://public.test:${servers.port}/upgrade`;
    for (const outcome of [await h.fetch(url), await h.fetchPage(url), await h.post(url)])
      expect(outcome).toMatchObject({ ok: false, reason: 'http-status', status: 101 });
    expect(await h.fetch(`http://public.test:${servers.port}/img.jpg`)).toMatchObject({ ok: true });
  });

  it('decodes a body sent gzip, br or both whatever was accepted, as a browser does', async () => {
    const h = harness();
    for (const path of ['/img-gzip', '/img-gzip-br']) {
      const outcome = await h.fetch(`http://public.test:${servers.port}${path}`);
      expect(outcome).toMatchObject({ ok: true, mediaType: 'image/jpeg' });
      expect(outcome.ok && outcome.bytes.equals(JPEG)).toBe(true);
    }
    const page = await h.fetchPage(`http://public.test:${servers.port}/page-br`);
    expect(page.ok && 'kind' in page && page.bytes.toString('utf8')).toBe(PAGE_HTML);
  });

  it('bounds the decoded bytes, and refuses a body that does not decode or a coding no browser knows', async () => {
    const h = harness({ maxBytes: 1024 * 1024 });
    // Refused once the decoded bytes pass maxBytes (1 MiB of the 16 MiB), whatever few came on the wire.
    expect(await h.fetch(`http://public.test:${servers.port}/gzip-bomb`)).toMatchObject({
      ok: false,
      reason: 'too-large',
      detail: `body over ${1024 * 1024} bytes`,
    });
    for (const path of ['/img-bad-gzip', '/img-unknown-coding'])
      expect(await h.fetch(`http://public.test:${servers.port}${path}`)).toMatchObject({
        ok: false,
        reason: 'not-media',
      });
  });

  it('limits concurrent requests per host', async () => {
    servers.holdState.maxActive = 0;
    const h = harness({ maxConcurrentPerHost: 1 });
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => h.fetch(`http://public.test:${servers.port}/hold`)),
    );
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);
    expect(servers.holdState.maxActive).toBe(1);
    expect(servers.publicServer.requests).toHaveLength(3);
  });

  it('refuses options out of range', () => {
    expect(() => createSafeFetcher({ maxBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'MOD_ERR_URL_FETCHER_OPTIONS' }) as Error,
    );
    expect(() => createSafeFetcher({ maxConcurrentPerHost: 0 })).toThrow(/maxConcurrentPerHost/);
  });
});
