import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { defaultAddressPolicy, type AddressPolicy } from './address-policy.js';
import { createSafeFetcher } from './fetcher.js';
import type {
  FetchOptions,
  ConnectTarget,
  FetchOutcome,
  PageFetchOutcome,
  FetchOutcomeLabel,
  PostOutcome,
  PostRequest,
  Resolver,
  SafeFetcherOptions,
} from './fetcher-types.js';

// Traffic stays on loopback. 127.0.0.2 plays a "public" host (allowed by a test policy); 127.0.0.1 and ::1 play
// the private network an attacker wants to reach. Both listen on the same port, so a fetcher that were fooled
// into dialling the private address would really reach the private server, which counts every request.
export const PUBLIC_IP = '127.0.0.2';
export const PAGE_HTML = '\n<!doctype html><html><body><img src="/img.jpg"></body></html>';
export const JPEG = readFileSync(new URL('../fixtures/small.jpg', import.meta.url));
export const TLS_CERT = readFileSync(new URL('../fixtures/tls-public-test.crt', import.meta.url));
export const TLS_KEY = readFileSync(new URL('../fixtures/tls-public-test.key', import.meta.url));

export interface CountingServer {
  readonly server: http.Server;
  readonly requests: Array<{ url: string; host: string | undefined }>;
}

/**
 * The test servers of one file, as `useFetcherServers` returns them: ports and servers are there once its
 * `beforeAll` has run, and what they received is forgotten before each test.
 */
export interface FetcherServers {
  /** The port the public server (on PUBLIC_IP) and the private ones (127.0.0.1, and ::1 where there is one) share. */
  readonly port: number;
  /** The port of the https server (on PUBLIC_IP, certificate for `public.test`), which answers JPEG to anything. */
  readonly tlsPort: number;
  readonly publicServer: CountingServer;
  /** What the public server's `/hook` received (POSTs from `post`). */
  readonly posts: Array<{ method: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** The name each https request sent for SNI, and its Host header. */
  readonly tlsRequests: Array<{ servername: string | false; host: string | undefined }>;
  /** How many `/hold` requests the public server is holding now, and the most it held at once. */
  readonly holdState: { active: number; maxActive: number };
  /** How many requests the private servers received in all: an SSRF test wants zero. */
  privateRequestCount(): number;
}

function publicHandler(servers: FetcherServers): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    const state = servers.holdState;
    switch (url.pathname) {
      case '/hook': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          servers.posts.push({
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
        res.writeHead(301, { location: `http://flip.test:${servers.port}/img.jpg` }).end();
        return;
      case '/html':
        res
          .writeHead(200, { 'content-type': 'image/jpeg' })
          .end('<!doctype html><html><body>not an image at all</body></html>');
        return;
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
        return;
      case '/page-redirect':
        res.writeHead(302, { location: '/page' }).end();
        return;
      case '/page-huge':
        // Declared larger than any bound, and sent in full: page mode reads its first maxPageBytes only.
        res.writeHead(200, { 'content-type': 'application/xhtml+xml', 'content-length': String(3_000_000) });
        res.write('<html><body><img src="/first.jpg">');
        res.end(Buffer.alloc(3_000_000 - 34, 0x20));
        return;
      // Pages a browser shows as any other (text before the first tag; UTF-16, by its byte order mark or header).
      case '/page-text-first':
        res.writeHead(200, { 'content-type': 'text/html' }).end('Our gallery: <img src="/img.jpg">');
        return;
      case '/page-utf16':
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(Buffer.from('\ufeff<img src="/img.jpg">', 'utf16le'));
        return;
      case '/page-utf16-header':
        res
          .writeHead(200, { 'content-type': 'text/html; charset="UTF-16LE"' })
          .end(Buffer.from('<img src="/img.jpg">', 'utf16le'));
        return;
      // No Content-Type: a browser sniffs an HTML start (MIME Sniffing's HTML signatures) as a page.
      case '/page-untyped':
        res.writeHead(200).end('\n <!-- gallery --><img src="/img.jpg">');
        return;
      case '/untyped-text':
        res.writeHead(200).end('just some text, <img src="/img.jpg">');
        return;
      // Bodies sent encoded whatever was accepted (identity): a browser decodes them.
      case '/img-gzip':
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync(JPEG));
        return;
      case '/img-gzip-br':
        res
          .writeHead(200, { 'content-encoding': 'gzip, br' })
          .end(zlib.brotliCompressSync(zlib.gzipSync(JPEG)));
        return;
      case '/page-br':
        res
          .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' })
          .end(zlib.brotliCompressSync(PAGE_HTML));
        return;
      case '/gzip-bomb':
        // A JPEG's start, then 16 MiB of zeros: some 16 KiB on the wire.
        res
          .writeHead(200, { 'content-encoding': 'gzip' })
          .end(zlib.gzipSync(Buffer.concat([JPEG.subarray(0, 100), Buffer.alloc(16 * 1024 * 1024)])));
        return;
      case '/img-bad-gzip':
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(JPEG);
        return;
      case '/img-unknown-coding':
        res.writeHead(200, { 'content-encoding': 'compress' }).end(JPEG);
        return;
      case '/page-binary':
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(Buffer.concat([Buffer.alloc(200, 0x01), Buffer.from('<img src="/img.jpg">')]));
        return;
      case '/page-image':
        res.writeHead(200, { 'content-type': 'text/html' }).end(JPEG); // the bytes say image: media
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
      case '/upgrade':
        // Switches protocols whatever was asked (no Upgrade was), then holds the connection open.
        req.socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
        );
        return;
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

class TestServers implements FetcherServers {
  port = 0;
  tlsPort = 0;
  #publicServer: CountingServer | undefined;
  readonly #privateServers: CountingServer[] = [];
  readonly posts: FetcherServers['posts'] = [];
  readonly tlsRequests: FetcherServers['tlsRequests'] = [];
  readonly holdState = { active: 0, maxActive: 0 };
  readonly #tlsServer = https.createServer({ cert: TLS_CERT, key: TLS_KEY }, (req, res) => {
    this.tlsRequests.push({
      servername: (req.socket as TLSSocket & { servername?: string | false }).servername ?? false,
      host: req.headers.host,
    });
    res.writeHead(200).end(JPEG);
  });

  get publicServer(): CountingServer {
    if (this.#publicServer === undefined) throw new Error('the fetcher test servers are not started yet');
    return this.#publicServer;
  }

  async start(): Promise<void> {
    const handler = publicHandler(this);
    for (let attempt = 0; attempt < 5 && this.#privateServers.length === 0; attempt++) {
      const publicServer = counting(handler);
      this.port = await listen(publicServer.server, PUBLIC_IP, 0);
      this.#publicServer = publicServer;
      const v4 = counting((_req, res) => res.writeHead(200).end(JPEG));
      try {
        await listen(v4.server, '127.0.0.1', this.port);
        this.#privateServers.push(v4);
      } catch {
        publicServer.server.close(); // port taken on 127.0.0.1: try another
      }
    }
    if (this.#privateServers.length === 0)
      throw new Error('could not bind 127.0.0.1 and 127.0.0.2 on one port');
    this.tlsPort = await listen(this.#tlsServer, PUBLIC_IP, 0);
    const v6 = counting((_req, res) => res.writeHead(200).end(JPEG));
    try {
      await listen(v6.server, '::1', this.port);
      this.#privateServers.push(v6);
    } catch {
      // No IPv6 loopback here: ::1 cases are still refused, there is just nothing to count on.
    }
  }

  async stop(): Promise<void> {
    const counted = [this.#publicServer, ...this.#privateServers].filter((entry) => entry !== undefined);
    const servers = [this.#tlsServer, ...counted.map((entry) => entry.server)];
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }

  forget(): void {
    this.posts.length = 0;
    this.publicServer.requests.length = 0;
    for (const entry of this.#privateServers) entry.requests.length = 0;
  }

  privateRequestCount(): number {
    return this.#privateServers.reduce((sum, entry) => sum + entry.requests.length, 0);
  }
}

/**
 * Starts the test servers before the file's tests and stops them after (`beforeAll`, `afterAll`), and forgets
 * what they received before each test (`beforeEach`). Call once at the top of each test file.
 */
export function useFetcherServers(): FetcherServers {
  const servers = new TestServers();
  beforeAll(() => servers.start());
  afterAll(() => servers.stop());
  beforeEach(() => servers.forget());
  return servers;
}

/** Names used by the tests, as a fake DNS. `flip.test` answers public first, private afterwards (rebinding). */
export function fakeDns(): { resolver: Resolver; calls: string[] } {
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
export const testPolicy: AddressPolicy = (address) =>
  address === PUBLIC_IP ? 'allow' : defaultAddressPolicy(address);

export interface Harness {
  fetch: (url: string, options?: FetchOptions) => Promise<FetchOutcome>;
  fetchPage: (url: string, maxPageBytes?: number) => Promise<PageFetchOutcome>;
  post: (url: string, request?: Partial<PostRequest>) => Promise<PostOutcome>;
  dials: ConnectTarget[];
  labels: FetchOutcomeLabel[];
  dnsCalls: string[];
}

export function harness(overrides: Partial<SafeFetcherOptions> = {}): Harness {
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
    fetch: (url, options) => fetcher.fetch(url, options),
    fetchPage: (url, maxPageBytes) =>
      fetcher.fetchPage(url, maxPageBytes === undefined ? {} : { maxPageBytes }),
    post: (url, request = {}) => fetcher.post(url, { body: '{"hello":"hook"}', ...request }),
    dials,
    labels,
    dnsCalls: dns.calls,
  };
}
