import { createHash } from 'node:crypto';
import http from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import { JPEG, reportedEvent } from './fetch-step.test-helper.js';
import { loopbackSiteWorld, serveOnLoopback } from './loopback-site.test-helper.js';

// A hostile server on 127.0.0.1 only, played as the public host `img.test`: the reported page shows nothing itself
// and sends the browser on at once with a meta refresh, to the page that shows the images; or it shows an SVG image
// that inlines the raster image a browser displays.
const EVENT_ID = '00000000-0000-4000-8000-00000000ffff';
let port = 0;
const pages = new Map<string, string>();
const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/negotiated.jpg' && (req.headers.accept ?? '').includes('text/html')) {
    // As image hosts do: a browser that asks for a page (opening the address) gets one, an <img> the image.
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>a viewer page</body></html>');
    return;
  }
  if (path.endsWith('.svg')) {
    // An SVG image that shows a raster image it inlines (what an <img> of it displays).
    const svg = `<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/jpeg;base64,${JPEG.toString('base64')}"/></svg>`;
    res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(svg);
    return;
  }
  const page = pages.get(path);
  const refresh = new URL(req.url ?? '/', 'http://x').searchParams.get('refresh');
  if (page !== undefined)
    res.writeHead(200, { 'content-type': 'text/html', ...(refresh === null ? {} : { refresh }) }).end(page);
  else if (path.endsWith('.jpg')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
  else res.writeHead(404).end('missing');
});

serveOnLoopback(server, (p) => {
  port = p;
});
beforeEach(() => pages.clear());

const at = (path: string) => `http://img.test:${port}${path}`;
const imageId = (path: string) => embeddedSubmissionId(EVENT_ID, at(path));

const refreshWorld = () => loopbackSiteWorld(port);

describe('crawling a reported page that sends the browser on with a meta refresh', () => {
  it.each([['0; url=/real/gallery.html'], ["0;URL='real/gallery.html'"], ['1, url = "/real/gallery.html"']])(
    'crawls the page it refreshes to (content %s)',
    async (content) => {
      pages.set(
        '/landing.html',
        `<html><head><meta http-equiv="Refresh" content="${content.replaceAll('"', '&quot;')}"></head></html>`,
      );
      pages.set('/real/gallery.html', '<img src="a.jpg"><img src="/b.jpg">');
      const w = refreshWorld();
      expect(await w.observe(at('/landing.html'), reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
      expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/real/a.jpg'), imageId('/b.jpg')]);
      expect(w.sent.filter((m) => m.topic === 'media')).toHaveLength(2);
    },
  );

  it('crawls the page a Refresh header sends the browser on to', async () => {
    pages.set('/landing.html', '<html><body>Loading...</body></html>');
    pages.set('/real/gallery.html', '<img src="a.jpg">');
    const w = refreshWorld();
    const landing = at(`/landing.html?refresh=${encodeURIComponent('0; url=/real/gallery.html')}`);
    expect(await w.observe(landing, reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([imageId('/real/a.jpg')]);
  });

  it('matches the refresh target against the URL lists without fetching it', async () => {
    pages.set('/landing.html', '<meta http-equiv="refresh" content="0;url=http://listed.test/gallery.html">');
    const w = refreshWorld();
    w.listHost('e1', 'listed.test');
    expect(await w.observe(at('/landing.html'), reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
    const listed = embeddedSubmissionId(EVENT_ID, 'http://listed.test/gallery.html');
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([listed]);
    expect(w.sent.some((m) => m.topic === 'verdicts' && m.key === listed)).toBe(true);
    expect(w.fetched).not.toContain('http://listed.test/gallery.html');
  });
});

describe('crawling a reported page that shows an SVG image', () => {
  it('scans the raster image an SVG image of the page inlines', async () => {
    pages.set('/gallery.html', '<img src="/wrapped.svg"><img src="/plain.jpg"><img src="/negotiated.jpg">');
    const w = refreshWorld();
    expect(await w.observe(at('/gallery.html'), reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
    const inline = embeddedSubmissionId(
      EVENT_ID,
      `data:sha256:${createHash('sha256').update(JPEG).digest('hex')}`,
    );
    // Each asked for as an <img> asks (for an image): a host that answers a page to a browser's visit still serves it.
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([
      inline,
      imageId('/plain.jpg'),
      imageId('/negotiated.jpg'),
    ]);
    expect(w.sent.filter((m) => m.topic === 'media').map((m) => m.key)).toEqual(
      expect.arrayContaining([inline, imageId('/plain.jpg')]),
    );
  });
});
