import http from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import { JPEG, reportedEvent } from './fetch-step.test-helper.js';
import { loopbackSiteWorld, serveOnLoopback } from './loopback-site.test-helper.js';
import { PAGE_IMAGE_FETCHES_AT_ONCE } from './page-crawl.js';

// A real server on 127.0.0.1 only, played as a public host (`img.test`) by a test policy that allows that one
// address (and its sub-domains, hosts of their own): a gallery page shows one image as a CSS background and others through frames; every image path serves
// a JPEG of its own bytes.
const EVENT_ID = '00000000-0000-4000-8000-00000000dddd';
const reported = reportedEvent(EVENT_ID);
let port = 0;
/** Requests by path, since the last test. */
const requests: string[] = [];
const pages = new Map<string, string>();
const imageBytes = (path: string) => Buffer.concat([JPEG, Buffer.from(path)]);
/** Requests to `/hold/` open at once now, and at most. */
const held = { active: 0, max: 0 };
const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  requests.push(path);
  if (path.startsWith('/hold/')) {
    // An image answered after a while, so that fetches running at once overlap here.
    held.max = Math.max(held.max, ++held.active);
    setTimeout(() => {
      held.active--;
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(imageBytes(path));
    }, 50);
    return;
  }
  const page = pages.get(path);
  if (page !== undefined) res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  else if (path.endsWith('.jpg')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(imageBytes(path));
  else res.writeHead(404).end('missing');
});

serveOnLoopback(server, (p) => {
  port = p;
});
beforeEach(() => {
  requests.length = 0;
  held.max = 0;
  pages.clear();
});

/** The step's world with the real SSRF-safe fetcher in front of the loopback server, its dials noted. */
function crawlWorld(maxPageFrames?: number) {
  const dialled: string[] = [];
  return { ...loopbackSiteWorld(port, { dialled, maxPageFrames }), dialled };
}

const at = (path: string) => `http://img.test:${port}${path}`;
const imageId = (path: string) => embeddedSubmissionId(EVENT_ID, at(path));

describe('crawling a reported page: CSS backgrounds and framed pages', () => {
  it("submits a CSS background and a framed page's images, resolved against the frame's own URL", async () => {
    pages.set(
      '/g/page.html',
      `<html><head><base href="${at('/b/')}"><style>.hero { background: url(hero.jpg) }</style></head><body>
       <div class="hero"></div><div style="background-image: url('/thumbs/1.jpg')"></div>
       <iframe src="../frames/one.html"></iframe><img src="/own.jpg"></body></html>`,
    );
    // The frame's relative URLs are its own: /frames/inner.jpg, not the page's base /b/inner.jpg.
    pages.set(
      '/frames/one.html',
      `<img src="inner.jpg"><p style="background:url(bg.jpg)"></p><img src="/own.jpg">
       <iframe src="/frames/nested.html"></iframe>`,
    );
    pages.set('/frames/nested.html', '<img src="/nested.jpg">');
    const w = crawlWorld();
    expect(await w.observe(at('/g/page.html'), reported)).toEqual({ kind: 'ok' });
    const submitted = ['/b/hero.jpg', '/thumbs/1.jpg', '/frames/inner.jpg', '/frames/bg.jpg', '/own.jpg'];
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual(submitted.map(imageId));
    expect(w.refusals[0]?.embeddedImageSources).toEqual(
      Object.fromEntries(submitted.map((p, i) => [imageId(p), ['css', 'css', 'frame', 'frame', 'frame'][i]])),
    );
    const media = w.sent.filter((m) => m.topic === 'media');
    expect(media.map((m) => m.key).sort()).toEqual(submitted.map(imageId).sort());
    for (const path of submitted)
      expect(media.find((m) => m.key === imageId(path))?.value.equals(imageBytes(path))).toBe(true);
    // One level deep: the frame's own frame is never fetched; each image once, though page and frame show it.
    expect(requests).not.toContain('/frames/nested.html');
    expect(requests.filter((p) => p === '/own.jpg')).toHaveLength(1);
    expect(await w.countFrames('crawled')).toBe(1);
  });

  it('refuses a frame on a private address or a port browsers refuse, and crawls the rest', async () => {
    pages.set(
      '/page.html',
      `<iframe src="http://10.0.0.1:${port}/frames/x.html"></iframe>
       <iframe src="http://private.test:${port}/frames/y.html"></iframe>
       <iframe src="http://img.test:25/frames/z.html"></iframe>
       <iframe src="${at('/frames/ok.html')}"></iframe>`,
    );
    pages.set('/frames/ok.html', '<img src="a.jpg">');
    const w = crawlWorld();
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    // Asked of the vetted fetcher, refused before any connection: only the server's own address was dialled.
    expect(w.fetched).toEqual(
      expect.arrayContaining([
        `http://10.0.0.1:${port}/frames/x.html`,
        `http://private.test:${port}/frames/y.html`,
        'http://img.test:25/frames/z.html',
      ]),
    );
    expect(w.dialled.every((d) => d === `127.0.0.1:${port}`)).toBe(true);
    expect(await w.countFrames('refused')).toBe(3);
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/frames/a.jpg')]);
    // The refused frames' content went unseen: its case counts one unscanned for each.
    expect(w.refusals[0]?.embeddedImagesShown).toBe(4);
  });

  it("counts a frame's own frames, never followed, as content not scanned", async () => {
    pages.set('/page.html', '<img src="/own.jpg"><iframe src="/frames/outer.html"></iframe>');
    // One level deep: the inner frame (and the page a refresh sends the outer one on to) are not fetched.
    pages.set(
      '/frames/outer.html',
      `<meta http-equiv="refresh" content="5;url=/frames/next.html"><img src="o.jpg">
       <iframe src="/frames/inner.html"></iframe>`,
    );
    pages.set('/frames/inner.html', '<img src="abuse.jpg">');
    const w = crawlWorld();
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/own.jpg'), imageId('/frames/o.jpg')]);
    expect(requests).not.toContain('/frames/inner.html');
    // Two images scanned, and two documents whose images went unseen: the case says 2 of 4.
    expect(w.refusals[0]?.embeddedImagesShown).toBe(4);
  });

  it('counts the part of a page or frame past the page bound, never read, as content not scanned', async () => {
    // Padding past FETCH_MAX_PAGE_BYTES (the fetcher's 2 MiB), then what a browser shows further down.
    const padding = ' '.repeat(2 * 1024 * 1024 + 1);
    pages.set(
      '/page.html',
      `<img src="/own.jpg"><iframe src="/frames/long.html"></iframe>${padding}<img src="/x.jpg">`,
    );
    pages.set('/frames/long.html', `<img src="f.jpg">${padding}<img src="/y.jpg">`);
    const w = crawlWorld();
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/own.jpg'), imageId('/frames/f.jpg')]);
    // Two images scanned, and two documents read in part: the case says 2 of 4.
    expect(w.refusals[0]?.embeddedImagesShown).toBe(4);
  });

  it('fetches at most maxPageFrames frames; an image framed directly is taken as an image', async () => {
    pages.set(
      '/page.html',
      `<iframe src="/pic.jpg"></iframe><iframe src="/frames/1.html"></iframe><iframe src="/frames/2.html"></iframe>`,
    );
    pages.set('/frames/1.html', '<img src="one.jpg">');
    pages.set('/frames/2.html', '<img src="two.jpg">');
    const w = crawlWorld(2);
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/pic.jpg'), imageId('/frames/one.jpg')]);
    expect(requests).not.toContain('/frames/2.html');
    expect(await w.countFrames('media')).toBe(1);
    expect(await w.countFrames('omitted')).toBe(1);
  });

  it('finds a URL-listed frame however many decoy frames come first, and fetches PAGE_MAX_FRAMES beyond four', async () => {
    const decoys = [1, 2, 3, 4, 5].map((i) => `<iframe src="/frames/${i}.html"></iframe>`).join('');
    pages.set('/page.html', `${decoys}<iframe src="http://listed.test/gallery.html"></iframe>`);
    for (const i of [1, 2, 3, 4, 5]) pages.set(`/frames/${i}.html`, `<img src="d${i}.jpg">`);
    const w = crawlWorld(5);
    w.listHost('e1', 'listed.test');
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    // All five decoys fetched (PAGE_MAX_FRAMES 5), and the listed frame a verdict, never fetched.
    expect([1, 2, 3, 4, 5].map((i) => requests.includes(`/frames/${i}.html`))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    const listed = embeddedSubmissionId(EVENT_ID, 'http://listed.test/gallery.html');
    expect(w.refusals[0]?.embeddedSubmissionIds).toContain(listed);
    expect(w.sent.some((m) => m.topic === 'verdicts' && m.key === listed)).toBe(true);
    expect(w.fetched).not.toContain('http://listed.test/gallery.html');
    expect(await w.countFrames('url-list-hit')).toBe(1);
    expect(await w.countFrames('omitted')).toBe(0);
  });

  it("holds one of the fetcher's image slots for each frame it fetches (a frame may answer with a whole image)", async () => {
    // Twelve frames on twelve hosts (no per-host bound between them), each answering with an image.
    const hosts = Array.from({ length: 12 }, (_, i) => `http://h${i}.img.test:${port}/hold/${i}.jpg`);
    pages.set('/page.html', hosts.map((h) => `<iframe src="${h}"></iframe>`).join(''));
    const w = crawlWorld(12);
    expect(await w.observe(at('/page.html'), reported)).toEqual({ kind: 'ok' });
    expect(await w.countFrames('media')).toBe(12);
    // No more bodies in flight than the fetcher's image slots, frames and images together.
    expect(held.max).toBeGreaterThan(0);
    expect(held.max).toBeLessThanOrEqual(PAGE_IMAGE_FETCHES_AT_ONCE);
  });
});
