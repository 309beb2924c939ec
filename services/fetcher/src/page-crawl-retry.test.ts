import http from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import { JPEG, loopbackFetch, reportedEvent, world } from './fetch-step.test-helper.js';
import { imgTestResolver, serveOnLoopback } from './loopback-site.test-helper.js';

// A real server on 127.0.0.1 only, played as a public host (`img.test`) by a test policy that allows that one
// address: each image path fails in its own way a set number of times, then serves the image.
const EVENT_ID = '00000000-0000-4000-8000-00000000bbbb';
const reported = reportedEvent(EVENT_ID);
let port = 0;
/** Requests by path, since the last test. */
const requests = new Map<string, number>();
/** The `<how>`s that fail with an HTTP error status (`/s500-1/…`): the status and the body sent with it. */
const FAILING_STATUSES: ReadonlyMap<string, { status: number; body: string }> = new Map([
  ['s500', { status: 500, body: 'oops' }],
  ['s503', { status: 503, body: 'busy' }],
  ['s404', { status: 404, body: 'missing' }],
]);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const n = (requests.get(url.pathname) ?? 0) + 1;
  requests.set(url.pathname, n);
  // `/<how>-<times>/x.jpg`: fails `<how>` for the first `<times>` requests, then serves a JPEG (or, for a path
  // ending `/page`, a page showing its `image` parameters).
  const [, how, times] = /^\/([a-z0-9]+)-(\d+)\//.exec(url.pathname) ?? [];
  if (how === undefined || n > Number(times)) {
    if (url.pathname.endsWith('/page')) {
      const images = url.searchParams.getAll('image');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><body>${images.map((i) => `<img src="${i}">`).join('')}</body></html>`);
    } else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
    return;
  }
  const failing = FAILING_STATUSES.get(how);
  if (failing !== undefined) {
    res.writeHead(failing.status).end(failing.body);
    return;
  }
  switch (how) {
    case 'reset':
      req.socket.destroy();
      return;
    case 'slow':
      return; // never answers: the fetch's own deadline
    case 'busy':
      // Asks for a wait the retries honour (1 s), or one beyond their bound (`long`).
      res.writeHead(429, { 'retry-after': url.pathname.includes('long') ? '120' : '1' }).end();
      return;
    case 'text':
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end('not an image, whatever the header says');
      return;
  }
});

serveOnLoopback(server, (p) => {
  port = p;
});
beforeEach(() => requests.clear());

/** The step's world with the real SSRF-safe fetcher in front of the loopback server. */
function crawlWorld(retry = { retries: 2, baseMs: 1, maxMs: 2_000 }) {
  const fetch = loopbackFetch({
    resolver: imgTestResolver,
    port,
    timeoutMs: 2_000,
    isPage: (url) => url.pathname.endsWith('/page'),
  });
  return { ...world(fetch, { maxPageImages: 8, pageImageRetry: retry }), fetch };
}

/** A page on the server showing `images` (paths on the server, or absolute URLs); `at`: its path. */
const pageAt = (at: string, ...images: string[]) =>
  `http://img.test:${port}${at}?${new URLSearchParams(images.map((i): [string, string] => ['image', i.startsWith('http') ? i : `/${i}`])).toString()}`;
const pageOf = (...images: string[]) => pageAt('/page', ...images);
const imageId = (path: string) => embeddedSubmissionId(EVENT_ID, `http://img.test:${port}/${path}`);

describe("crawling reported pages: an image's transient failure is retried", () => {
  it('fetches and submits an image whose first fetch failed (500, 503, reset, timeout, 429 with Retry-After)', async () => {
    const w = crawlWorld();
    const images = ['s500-1/a.jpg', 's503-1/b.jpg', 'reset-1/c.jpg', 'slow-1/d.jpg', 'busy-1/e.jpg'];
    expect(await w.observe(pageOf(...images), reported)).toEqual({ kind: 'ok' });
    // Each image was asked for twice (once failed, once served), and every one submitted as media.
    expect(images.map((i) => requests.get(`/${i}`))).toEqual([2, 2, 2, 2, 2]);
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual(images.map(imageId));
    const media = w.sent.filter((m) => m.topic === 'media');
    expect(media.map((m) => m.key)).toEqual(expect.arrayContaining(images.map(imageId)));
    expect(media.every((m) => m.value.equals(JPEG))).toBe(true);
    expect(await w.countImages('fetched')).toBe(5);
    expect(await w.countImages('refused')).toBe(0);
    expect(await w.countRetries()).toEqual({
      timeout: 1,
      'connection-failed': 1,
      'server-error': 2,
      'rate-limited': 1,
    });
  });

  it("reads a busy server's Retry-After (a 429 or 503), which the retry waits out in full", async () => {
    const { fetch } = crawlWorld();
    expect(await fetch(`http://img.test:${port}/busy-1/f.jpg`)).toMatchObject({
      ok: false,
      reason: 'http-status',
      status: 429,
      retryAfterMs: 1000,
    });
    expect(await fetch(`http://img.test:${port}/s500-1/f.jpg`)).not.toHaveProperty('retryAfterMs');
  });

  it('stops at the bound: an image that keeps failing is asked for 1 + retries times, then refused', async () => {
    const w = crawlWorld({ retries: 3, baseMs: 1, maxMs: 2_000 });
    expect(await w.observe(pageOf('s500-99/a.jpg', 'reset-99/b.jpg', 's500-0/ok.jpg'), reported)).toEqual({
      kind: 'ok',
    });
    expect(requests.get('/s500-99/a.jpg')).toBe(4);
    expect(requests.get('/reset-99/b.jpg')).toBe(4);
    // As before retries: the image is refused, the others submitted, and the page's case counts it unscanned.
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('s500-0/ok.jpg')]);
    expect(w.refusals[0]?.embeddedImagesShown).toBe(3);
    expect(await w.countImages('refused')).toBe(2);
    expect(await w.countRetries()).toMatchObject({ 'server-error': 3, 'connection-failed': 3 });
  });

  it('never retries a permanent failure: 404, not media, a Retry-After beyond the bound, a refused address or port', async () => {
    const w = crawlWorld();
    // Refused before any request: a name that resolves to a private address, a port browsers refuse.
    const vetted = [`http://private.test:${port}/c.jpg`, `http://img.test:25/d.jpg`];
    const page = pageOf('s404-1/a.jpg', 'text-1/b.jpg', 'busy-1/long.jpg', ...vetted);
    expect(await w.observe(page, reported)).toEqual({ kind: 'ok' });
    expect(requests.get('/s404-1/a.jpg')).toBe(1);
    expect(requests.get('/text-1/b.jpg')).toBe(1);
    expect(requests.get('/busy-1/long.jpg')).toBe(1);
    expect(w.fetched.filter((u) => vetted.includes(u))).toEqual(vetted);
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([]);
    expect(await w.countImages('refused')).toBe(5);
    expect(Object.values(await w.countRetries())).toEqual([0, 0, 0, 0]);
  });

  it("retries the reported page's own fetch on a transient failure (503, reset), within the same bounds", async () => {
    const w = crawlWorld();
    expect(await w.observe(pageAt('/s503-1/page', 's500-0/a.jpg'), reported)).toEqual({ kind: 'ok' });
    expect(requests.get('/s503-1/page')).toBe(2);
    expect(w.refusals[0]).toMatchObject({
      failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      embeddedSubmissionIds: [imageId('s500-0/a.jpg')],
    });
    // One that keeps failing is asked for 1 + retries times, then recorded refused for a person, as before.
    expect(await w.observe(pageAt('/reset-99/page'), reported)).toEqual({
      kind: 'drop',
      reason: 'fetch refused: connection-failed',
    });
    expect(requests.get('/reset-99/page')).toBe(3);
    expect(w.refusals[1]?.failureCode).toBe('MOD_ERR_FETCH_CONNECTION_FAILED');
    // A permanent failure is not retried.
    await w.observe(pageAt('/s404-1/page'), reported);
    expect(requests.get('/s404-1/page')).toBe(1);
    expect(await w.countRetries()).toMatchObject({ 'server-error': 1, 'connection-failed': 2 });
  });
});
