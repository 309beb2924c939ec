import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultAddressPolicy, type AddressPolicy } from './address-policy.js';
import {
  createSafeFetcher,
  type ConnectTarget,
  type FetchOutcome,
  type FetchOutcomeLabel,
  type PostOutcome,
  type PostRequest,
  type Resolver,
  type SafeFetcherOptions,
} from './fetcher.js';

// Traffic stays on loopback. 127.0.0.2 plays a "public" host (allowed by a test policy); 127.0.0.1 and ::1 play
// the private network an attacker wants to reach. Both listen on the same port, so a fetcher that were fooled
// into dialling the private address would really reach the private server, which counts every request.
const PUBLIC_IP = '127.0.0.2';
const JPEG = readFileSync(new URL('../fixtures/small.jpg', import.meta.url));
const TLS_CERT = readFileSync(new URL('../fixtures/tls-public-test.crt', import.meta.url));
const TLS_KEY = readFileSync(new URL('../fixtures/tls-public-test.key', import.meta.url));

interface CountingServer {
  readonly server: http.Server;
  readonly requests: Array<{ url: string; host: string | undefined }>;
}

/** What the public server's `/hook` received (POSTs from `post`). */
const posts: Array<{ method: string; headers: http.IncomingHttpHeaders; body: string }> = [];

function publicHandler(port: number, state: { active: number; maxActive: number }): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    switch (url.pathname) {
      case '/hook': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          posts.push({
            method: req.method ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          res.writeHead(Number(url.searchParams.get('status') ?? 204)).end();
        });
        return;
      }
      case '/img.jpg':
        res.writeHead(200, { 'content-type': 'text/plain' }).end(JPEG); // content type ignored: bytes decide
        return;
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to ?? '' }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/self-then-img':
        res.writeHead(301, { location: `http://flip.test:${port}/img.jpg` }).end();
        return;
      case '/html':
        res
          .writeHead(200, { 'content-type': 'image/jpeg' })
          .end('<!doctype html><html><body>not an image at all</body></html>');
        return;
      case '/big':
        res.writeHead(200, { 'content-length': String(JPEG.length + 50_000) });
        res.write(JPEG);
        res.end(Buffer.alloc(50_000));
        return;
      case '/big-chunked':
        res.writeHead(200);
        res.write(JPEG);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(5_000));
        res.end();
        return;
      case '/slow':
        return; // never answers
      case '/stall-body':
        res.writeHead(200, { 'content-length': String(JPEG.length) });
        res.write(JPEG.subarray(0, 100)); // then never finishes
        return;
      case '/cut-body':
        res.writeHead(200, { 'content-length': String(JPEG.length) });
        res.write(JPEG.subarray(0, 100), () => res.destroy());
        return;
      case '/hold':
        state.active++;
        state.maxActive = Math.max(state.maxActive, state.active);
        setTimeout(() => {
          state.active--;
          res.writeHead(200).end(JPEG);
        }, 30);
        return;
      default:
        res.writeHead(404).end('missing');
    }
  };
}

async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function counting(handler: http.RequestListener): CountingServer {
  const requests: CountingServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', host: req.headers.host });
    handler(req, res);
  });
  return { server, requests };
}

let port = 0;
let tlsPort = 0;
const tlsRequests: Array<{ servername: string | false; host: string | undefined }> = [];
const tlsServer = https.createServer({ cert: TLS_CERT, key: TLS_KEY }, (req, res) => {
  tlsRequests.push({
    servername: (req.socket as TLSSocket & { servername?: string | false }).servername ?? false,
    host: req.headers.host,
  });
  res.writeHead(200).end(JPEG);
});
let publicServer: CountingServer;
const privateServers: CountingServer[] = [];
const holdState = { active: 0, maxActive: 0 };

beforeAll(async () => {
  for (let attempt = 0; attempt < 5 && privateServers.length === 0; attempt++) {
    publicServer = counting((req, res) => publicHandler(port, holdState)(req, res));
    port = await listen(publicServer.server, PUBLIC_IP, 0);
    const v4 = counting((_req, res) => res.writeHead(200).end(JPEG));
    try {
      await listen(v4.server, '127.0.0.1', port);
      privateServers.push(v4);
    } catch {
      publicServer.server.close(); // port taken on 127.0.0.1: try another
    }
  }
  if (privateServers.length === 0) throw new Error('could not bind 127.0.0.1 and 127.0.0.2 on one port');
  tlsPort = await listen(tlsServer, PUBLIC_IP, 0);
  const v6 = counting((_req, res) => res.writeHead(200).end(JPEG));
  try {
    await listen(v6.server, '::1', port);
    privateServers.push(v6);
  } catch {
    // No IPv6 loopback here: ::1 cases are still refused, there is just nothing to count on.
  }
});

afterAll(async () => {
  const servers = [tlsServer, ...[publicServer, ...privateServers].map((entry) => entry.server)];
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const privateRequestCount = (): number =>
  privateServers.reduce((sum, entry) => sum + entry.requests.length, 0);

/** Names used by the tests, as a fake DNS. `flip.test` answers public first, private afterwards (rebinding). */
function fakeDns(): { resolver: Resolver; calls: string[] } {
  const zone: Record<string, string[]> = {
    'public.test': [PUBLIC_IP],
    'impostor.test': [PUBLIC_IP],
    'loopback.test': ['127.0.0.1'],
    'ten.test': ['10.0.0.5'],
    'oneseventwo.test': ['172.16.3.4'],
    'oneninetwo.test': ['192.168.1.10'],
    'linklocal.test': ['169.254.10.10'],
    'metadata.test': ['169.254.169.254'],
    'cgnat.test': ['100.64.1.1'],
    'v6loopback.test': ['::1'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'mapped-hex.test': ['::ffff:7f00:1'],
    'nat64.test': ['64:ff9b::7f00:1'],
    'ula.test': ['fd00::1'],
    'v6linklocal.test': ['fe80::1'],
    'mixed.test': [PUBLIC_IP, '10.0.0.1'],
    'mixed-v6.test': [PUBLIC_IP, '::1'],
    'empty.test': [],
  };
  const calls: string[] = [];
  let flips = 0;
  const resolver: Resolver = (hostname) => {
    calls.push(hostname);
    if (hostname === 'flip.test') {
      flips++;
      return Promise.resolve([{ address: flips === 1 ? PUBLIC_IP : '127.0.0.1', family: 4 }]);
    }
    const answers = zone[hostname];
    if (answers === undefined)
      return Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      );
    return Promise.resolve(answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { resolver, calls };
}

/** Treats exactly one loopback alias as public; everything else gets the production policy. */
const testPolicy: AddressPolicy = (address) =>
  address === PUBLIC_IP ? 'allow' : defaultAddressPolicy(address);

interface Harness {
  fetch: (url: string) => Promise<FetchOutcome>;
  post: (url: string, request?: Partial<PostRequest>) => Promise<PostOutcome>;
  dials: ConnectTarget[];
  labels: FetchOutcomeLabel[];
  dnsCalls: string[];
}

function harness(overrides: Partial<SafeFetcherOptions> = {}): Harness {
  const dns = fakeDns();
  const dials: ConnectTarget[] = [];
  const labels: FetchOutcomeLabel[] = [];
  const fetcher = createSafeFetcher({
    resolver: dns.resolver,
    addressPolicy: testPolicy,
    timeoutMs: 5_000,
    countOutcome: (label) => labels.push(label),
    // Guard for the test itself: even a broken policy could only ever dial loopback.
    beforeConnect: (target) => {
      dials.push(target);
      if (!target.address.startsWith('127.') && target.address !== '::1')
        throw new Error('test guard: non-loopback dial');
    },
    ...overrides,
  });
  return {
    fetch: (url) => fetcher.fetch(url),
    post: (url, request = {}) => fetcher.post(url, { body: '{"hello":"hook"}', ...request }),
    dials,
    labels,
    dnsCalls: dns.calls,
  };
}

beforeEach(() => {
  posts.length = 0;
  publicServer.requests.length = 0;
  for (const entry of privateServers) entry.requests.length = 0;
});

describe('safe fetcher: positive path (loopback alias treated as public by the test policy)', () => {
  it('fetches an image, dialling the vetted address with Host = the name', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://Public.TEST:${port}/img.jpg#frag`);
    expect(outcome).toMatchObject({
      ok: true,
      mediaType: 'image/jpeg',
      address: PUBLIC_IP,
      status: 200,
      url: `http://public.test:${port}/img.jpg`,
    });
    expect(outcome.ok && outcome.bytes.equals(JPEG)).toBe(true);
    expect(publicServer.requests).toEqual([{ url: '/img.jpg', host: `public.test:${port}` }]);
    expect(h.dials.map((dial) => [dial.hostname, dial.address])).toEqual([['public.test', PUBLIC_IP]]);
    expect(h.labels).toEqual(['ok']);
    expect(privateRequestCount()).toBe(0);
  });

  it('follows a redirect, re-vetting the next hop', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://public.test:${port}/redirect?to=/img.jpg&status=307`);
    expect(outcome).toMatchObject({
      ok: true,
      redirects: [`http://public.test:${port}/redirect?to=/img.jpg&status=307`],
    });
    expect(h.dnsCalls).toEqual(['public.test', 'public.test']);
  });
});

describe('safe fetcher: https through the pinned address', () => {
  it('sends SNI and verifies the certificate against the name, not the dialled IP', async () => {
    tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    const outcome = await h.fetch(`https://public.test:${tlsPort}/img.jpg`);
    expect(outcome).toMatchObject({ ok: true, mediaType: 'image/jpeg', address: PUBLIC_IP });
    expect(tlsRequests).toEqual([{ servername: 'public.test', host: `public.test:${tlsPort}` }]);
  });

  it('refuses a certificate that does not name the host, even on a vetted address', async () => {
    tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    const outcome = await h.fetch(`https://impostor.test:${tlsPort}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'connection-failed' });
    expect(outcome.ok ? '' : outcome.detail).toMatch(/altnames|certificate/i);
    expect(tlsRequests).toEqual([]);
  });

  it('trusts only the system store by default (the self-signed test certificate is refused)', async () => {
    const h = harness();
    expect(await h.fetch(`https://public.test:${tlsPort}/img.jpg`)).toMatchObject({
      ok: false,
      reason: 'connection-failed',
    });
  });
});

describe('safe fetcher: SSRF refusals (the private servers must see zero requests)', () => {
  const refusedNames = [
    'loopback.test',
    'ten.test',
    'oneseventwo.test',
    'oneninetwo.test',
    'linklocal.test',
    'metadata.test',
    'cgnat.test',
    'v6loopback.test',
    'mapped.test',
    'mapped-hex.test',
    'nat64.test',
    'ula.test',
    'v6linklocal.test',
    'mixed.test',
    'mixed-v6.test',
  ];
  it.each(refusedNames)('refuses %s before dialling', async (name) => {
    const h = harness();
    const outcome = await h.fetch(`http://${name}:${port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dials).toEqual([]);
    expect(h.labels).toEqual(['blocked-address']);
    expect(privateRequestCount()).toBe(0);
    expect(publicServer.requests).toEqual([]);
  });

  it.each([
    'http://127.0.0.1:PORT/img.jpg',
    'http://2130706433:PORT/img.jpg',
    'http://0x7f.1:PORT/img.jpg',
    'http://[::1]:PORT/img.jpg',
    'http://[::ffff:127.0.0.1]:PORT/img.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0:PORT/',
  ])('refuses the IP literal %s', async (template) => {
    const h = harness();
    const outcome = await h.fetch(template.replace('PORT', String(port)));
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dials).toEqual([]);
    expect(h.dnsCalls).toEqual([]);
    expect(privateRequestCount()).toBe(0);
  });

  it.each([
    ['a name resolving to loopback', () => `http://loopback.test:${port}/img.jpg`],
    ['the metadata service', () => `http://metadata.test:${port}/latest/meta-data/`],
    ['an IP literal', () => `http://127.0.0.1:${port}/img.jpg`],
    ['a decimal IP literal', () => `http://2130706433:${port}/img.jpg`],
    ['IPv6 loopback', () => `http://[::1]:${port}/img.jpg`],
  ])('refuses a redirect chain from an allowed host into %s', async (_name, target) => {
    const h = harness();
    const first = `http://public.test:${port}/redirect?to=${encodeURIComponent(`http://public.test:${port}/redirect?to=${encodeURIComponent(target())}`)}`;
    const outcome = await h.fetch(first);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(outcome.redirects).toHaveLength(2);
    expect(publicServer.requests).toHaveLength(2);
    expect(h.dials.every((dial) => dial.address === PUBLIC_IP)).toBe(true);
    expect(privateRequestCount()).toBe(0);
  });

  it('pins the vetted address: DNS answers that change after vetting are never used (rebinding)', async () => {
    const h = harness();
    // flip.test: public on the first answer, private on every later one.
    const outcome = await h.fetch(`http://flip.test:${port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: true, address: PUBLIC_IP });
    expect(h.dnsCalls).toEqual(['flip.test']);
    expect(publicServer.requests).toEqual([{ url: '/img.jpg', host: `flip.test:${port}` }]);
    expect(privateRequestCount()).toBe(0);
  });

  it('re-resolves on a redirect and refuses when the name now points at a private address (rebinding)', async () => {
    const h = harness();
    const outcome = await h.fetch(`http://flip.test:${port}/self-then-img`);
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'blocked-address',
      url: `http://flip.test:${port}/img.jpg`,
    });
    expect(h.dnsCalls).toEqual(['flip.test', 'flip.test']);
    expect(publicServer.requests.map((request) => request.url)).toEqual(['/self-then-img']);
    expect(privateRequestCount()).toBe(0);
  });

  it('the production policy refuses loopback even for names the system resolver knows', async () => {
    const labels: FetchOutcomeLabel[] = [];
    const fetcher = createSafeFetcher({ countOutcome: (label) => labels.push(label) });
    const outcome = await fetcher.fetch(`http://localhost:${port}/img.jpg`);
    expect(outcome).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(await fetcher.fetch(`http://127.0.0.2:${port}/img.jpg`)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
    expect(labels).toEqual(['blocked-address', 'blocked-address']);
    expect(publicServer.requests).toEqual([]);
    expect(privateRequestCount()).toBe(0);
  });
});

describe('safe fetcher: bounds and typed outcomes', () => {
  it('stops after maxRedirects', async () => {
    const h = harness({ maxRedirects: 3 });
    const outcome = await h.fetch(`http://public.test:${port}/loop`);
    expect(outcome).toMatchObject({ ok: false, reason: 'too-many-redirects' });
    expect(publicServer.requests).toHaveLength(4);
    expect(h.labels).toEqual(['too-many-redirects']);
  });

  it('refuses a body over maxBytes, by Content-Length or while streaming', async () => {
    const h = harness({ maxBytes: 10_000 });
    expect(await h.fetch(`http://public.test:${port}/big`)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(await h.fetch(`http://public.test:${port}/big-chunked`)).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
    expect(h.labels).toEqual(['too-large', 'too-large']);
  });

  it('times out a server that never answers', async () => {
    const h = harness({ timeoutMs: 300 });
    expect(await h.fetch(`http://public.test:${port}/slow`)).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await h.fetch(`http://public.test:${port}/stall-body`)).toMatchObject({
      ok: false,
      reason: 'timeout',
    });
    expect(h.labels).toEqual(['timeout', 'timeout']);
  });

  it('reports a body cut short as a connection failure', async () => {
    const h = harness();
    expect(await h.fetch(`http://public.test:${port}/cut-body`)).toMatchObject({
      ok: false,
      reason: 'connection-failed',
    });
  });

  it('refuses a body whose magic bytes are not an image, whatever its Content-Type', async () => {
    const h = harness();
    expect(await h.fetch(`http://public.test:${port}/html`)).toMatchObject({
      ok: false,
      reason: 'not-media',
    });
  });

  it('reports HTTP errors with their status', async () => {
    const h = harness();
    expect(await h.fetch(`http://public.test:${port}/missing`)).toMatchObject({
      ok: false,
      reason: 'http-status',
      status: 404,
    });
    expect(await h.fetch(`http://public.test:${port}/redirect`)).toMatchObject({
      ok: false,
      reason: 'http-status',
      status: 302,
    });
  });

  it('reports DNS failures', async () => {
    const h = harness();
    expect(await h.fetch(`http://nowhere.test:${port}/`)).toMatchObject({ ok: false, reason: 'dns-failure' });
    expect(await h.fetch(`http://empty.test:${port}/`)).toMatchObject({ ok: false, reason: 'dns-failure' });
  });

  it('refuses bad URLs and redirects to other schemes', async () => {
    const h = harness();
    expect(await h.fetch('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'bad-url' });
    expect(await h.fetch('not a url')).toMatchObject({ ok: false, reason: 'bad-url' });
    const outcome = await h.fetch(
      `http://public.test:${port}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`,
    );
    expect(outcome).toMatchObject({ ok: false, reason: 'bad-url' });
    expect(h.labels).toEqual(['bad-url', 'bad-url', 'bad-url']);
  });

  it('reports a caller abort', async () => {
    const h = createSafeFetcher({ resolver: fakeDns().resolver, addressPolicy: testPolicy });
    const controller = new AbortController();
    const pending = h.fetch(`http://public.test:${port}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, reason: 'aborted' });
  });

  it('limits concurrent requests per host', async () => {
    holdState.maxActive = 0;
    const h = harness({ maxConcurrentPerHost: 1 });
    const outcomes = await Promise.all([1, 2, 3].map(() => h.fetch(`http://public.test:${port}/hold`)));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);
    expect(holdState.maxActive).toBe(1);
    expect(publicServer.requests).toHaveLength(3);
  });

  it('refuses options out of range', () => {
    expect(() => createSafeFetcher({ maxBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'MOD_ERR_URL_FETCHER_OPTIONS' }) as Error,
    );
    expect(() => createSafeFetcher({ maxConcurrentPerHost: 0 })).toThrow(/maxConcurrentPerHost/);
  });
});

describe('safe fetcher: POST (webhooks)', () => {
  it('posts the body and headers to the vetted address and answers with the status', async () => {
    const h = harness();
    const outcome = await h.post(`http://public.test:${port}/hook`, {
      body: '{"event":"order.issued"}',
      // The fetcher owns Host and framing: a caller cannot redirect the request or desynchronise it.
      headers: {
        'content-type': 'application/json',
        'x-mod-signature': 't=1,v1=abc',
        host: 'evil.test',
        'Content-Length': '1',
      },
    });
    expect(outcome).toMatchObject({ ok: true, status: 204, address: PUBLIC_IP, truncated: false });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      method: 'POST',
      body: '{"event":"order.issued"}',
      headers: {
        host: `public.test:${port}`,
        'content-type': 'application/json',
        'content-length': '24',
        'x-mod-signature': 't=1,v1=abc',
      },
    });
    expect(h.dials.map((dial) => dial.address)).toEqual([PUBLIC_IP]);
    expect(h.labels).toEqual(['ok']);
  });

  it('answers any status, and returns a redirect without following it', async () => {
    const h = harness();
    expect(await h.post(`http://public.test:${port}/hook?status=503`)).toMatchObject({
      ok: true,
      status: 503,
    });
    const target = `http://public.test:${port}/hook`;
    const redirected = await h.post(
      `http://public.test:${port}/redirect?to=${encodeURIComponent(target)}&status=307`,
    );
    expect(redirected).toMatchObject({ ok: true, status: 307 });
    expect(publicServer.requests.map((r) => r.url)).toEqual([
      '/hook?status=503',
      `/redirect?to=${encodeURIComponent(target)}&status=307`,
    ]);
    expect(h.dnsCalls).toEqual(['public.test', 'public.test']);
  });

  it('reads at most maxResponseBytes of the answer', async () => {
    const h = harness();
    const outcome = await h.post(`http://public.test:${port}/big-chunked`, { maxResponseBytes: 1000 });
    expect(outcome).toMatchObject({ ok: true, status: 200, truncated: true });
    expect(outcome.ok && outcome.bytes.length).toBe(1000);
  });

  it.each(['loopback.test', 'ten.test', 'metadata.test', 'cgnat.test', 'v6loopback.test', 'mixed.test'])(
    'refuses %s before dialling',
    async (name) => {
      const h = harness();
      expect(await h.post(`http://${name}:${port}/hook`)).toMatchObject({
        ok: false,
        reason: 'blocked-address',
      });
      expect(h.dials).toEqual([]);
      expect(privateRequestCount()).toBe(0);
      expect(posts).toEqual([]);
    },
  );

  it('refuses IP literals of internal addresses without DNS', async () => {
    const h = harness();
    for (const url of [
      `http://127.0.0.1:${port}/hook`,
      `http://[::1]:${port}/hook`,
      'http://169.254.169.254/',
    ])
      expect(await h.post(url)).toMatchObject({ ok: false, reason: 'blocked-address' });
    expect(h.dnsCalls).toEqual([]);
    expect(h.dials).toEqual([]);
    expect(privateRequestCount()).toBe(0);
  });

  it('checks the name again on every post: an answer that turned private is refused (DNS changes)', async () => {
    const h = harness();
    // flip.test: public on the first answer, private on every later one.
    expect(await h.post(`http://flip.test:${port}/hook`)).toMatchObject({ ok: true, address: PUBLIC_IP });
    expect(await h.post(`http://flip.test:${port}/hook`)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
    expect(h.dnsCalls).toEqual(['flip.test', 'flip.test']);
    expect(posts).toHaveLength(1);
    expect(privateRequestCount()).toBe(0);
  });

  it('posts over https with SNI and certificate checks against the name', async () => {
    tlsRequests.length = 0;
    const h = harness({ tlsTrustedCa: TLS_CERT });
    expect(await h.post(`https://public.test:${tlsPort}/hook`)).toMatchObject({ ok: true, status: 200 });
    expect(tlsRequests).toEqual([{ servername: 'public.test', host: `public.test:${tlsPort}` }]);
    expect(await h.post(`https://impostor.test:${tlsPort}/hook`)).toMatchObject({
      ok: false,
      reason: 'connection-failed',
    });
  });

  it('bounds the request body and the time', async () => {
    const h = harness({ maxRequestBytes: 10 });
    expect(await h.post(`http://public.test:${port}/hook`, { body: 'x'.repeat(11) })).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
    expect(h.dials).toEqual([]);
    const slow = harness();
    expect(await slow.post(`http://public.test:${port}/slow`, { timeoutMs: 300 })).toMatchObject({
      ok: false,
      reason: 'timeout',
    });
    expect(await slow.post('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'bad-url' });
  });
});
