import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import type { Resolver } from '@mod/urls/fetch';
import { JPEG, loopbackFetch, reportedEvent, world } from './fetch-step.test-helper.js';
import { serveOnLoopback } from './loopback-site.test-helper.js';

// A real server on 127.0.0.1 only, played as public hosts by a test policy that allows that one address. Images
// under `/slow/` send their first bytes, then hold the rest until the test lets them go (a slow-drip body); the
// others are served at once. Each slow image is on a host of its own, so no per-host bound limits them; they all
// share the one address, whose bound is raised so that it does not limit them either (it stands for many servers).
let port = 0;
const held: (() => void)[] = [];
let slowStarted = 0;
let onSlow = () => {};
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/page') {
    const images = url.searchParams.getAll('image');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<html><body>${images.map((i) => `<img src="${i}">`).join('')}</body></html>`);
    return;
  }
  if (url.pathname.startsWith('/slow/')) {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(JPEG.length) });
    res.write(JPEG.subarray(0, 4));
    held.push(() => res.end(JPEG.subarray(4)));
    slowStarted++;
    onSlow();
    return;
  }
  res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
});

serveOnLoopback(server, (p) => {
  port = p;
});

const resolver: Resolver = (hostname) =>
  hostname.endsWith('.img.test')
    ? Promise.resolve([{ address: '127.0.0.1', family: 4 }])
    : Promise.resolve([{ address: '10.0.0.7', family: 4 }]); // any other name: a private address

const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const page = (host: string, images: string[]) =>
  `http://${host}.img.test:${port}/page?${new URLSearchParams(images.map((i): [string, string] => ['image', i])).toString()}`;
const slowImages = (name: string) =>
  Array.from({ length: 8 }, (_, i) => `http://${name}${i}.img.test:${port}/slow/${i}.jpg`);

/** Resolves once `n` slow images have been asked for in all. */
const slowAskedFor = (n: number) =>
  new Promise<void>((resolve) => {
    onSlow = () => {
      if (slowStarted >= n) resolve();
    };
    onSlow();
  });

describe('crawling reported pages: image slots are shared fairly', () => {
  it("fetches another report's image while two pages' slow images are still loading", async () => {
    const fetch = loopbackFetch({
      resolver,
      port,
      timeoutMs: 60_000,
      isPage: (url) => url.pathname === '/page',
      maxConcurrentPerHost: 32,
    });
    const w = world(fetch, { maxPageImages: 8, pageCrawlTimeoutMs: 60_000 });
    // Two hostile pages of eight slow images each: alone, the first takes its four at once; the second its share.
    const first = w.observe(page('hostile-a', slowImages('a')), reportedEvent(eventId(1)));
    await slowAskedFor(4);
    const second = w.observe(page('hostile-b', slowImages('b')), reportedEvent(eventId(2)));
    await slowAskedFor(6);
    // Another report's page of one quick image: its image is fetched and submitted while all those are held.
    const fastImage = `http://quick.img.test:${port}/fast.jpg`;
    expect(await w.observe(page('quick', [fastImage]), reportedEvent(eventId(3)))).toEqual({ kind: 'ok' });
    const fastId = embeddedSubmissionId(eventId(3), fastImage);
    expect(w.refusals.map((r) => r.embeddedSubmissionIds)).toEqual([[fastId]]);
    expect(w.sent.filter((m) => m.topic === 'media').map((m) => m.key)).toEqual([fastId]);
    // No slow body was let go, and the two pages still hold no more than the slots.
    expect(held).toHaveLength(slowStarted);
    expect(slowStarted).toBeLessThanOrEqual(8);
    // Then the slow ones are let go: each hostile page has all eight images submitted all the same.
    const release = () => held.splice(0).forEach((end) => end());
    onSlow = () => setImmediate(release);
    release();
    expect(await Promise.all([first, second])).toEqual([{ kind: 'ok' }, { kind: 'ok' }]);
    expect(w.refusals.slice(1).map((r) => r.embeddedSubmissionIds?.length)).toEqual([8, 8]);
    expect(await w.countImages('fetched')).toBe(17);
  }, 60_000);
});
