import http from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { Codecs, embeddedSubmissionId } from '@mod/contracts';
import { JPEG, reportedEvent } from './fetch-step.test-helper.js';
import { loopbackSiteWorld, serveOnLoopback } from './loopback-site.test-helper.js';

// A hostile server on 127.0.0.1 only, played as the public hosts `img.test` and `listed.img.test` (a URL-listed
// host): its own URLs redirect to the listed host's, so that what is fetched there is a listed URL the lists were
// never asked about.
const EVENT_ID = '00000000-0000-4000-8000-00000000eeee';
let port = 0;
/** Requests as `host path`, since the last test. */
const requests: string[] = [];
const pages = new Map<string, string>();
const server = http.createServer((req, res) => {
  const host = (req.headers.host ?? '').split(':')[0];
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  requests.push(`${host} ${path}`);
  if (path.startsWith('/r/')) {
    res.writeHead(302, { location: `http://listed.img.test:${port}/${path.slice(3)}` }).end();
    return;
  }
  const page = pages.get(path);
  if (page !== undefined) res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  else if (path.endsWith('.jpg')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
  else res.writeHead(404).end('missing');
});

serveOnLoopback(server, (p) => {
  port = p;
});
beforeEach(() => {
  requests.length = 0;
  pages.clear();
});

function redirectWorld() {
  const w = loopbackSiteWorld(port);
  w.listHost('e1', 'listed.img.test');
  const verdicts = () =>
    w.sent.filter((m) => m.topic === 'verdicts').map((m) => Codecs.verdict.decode(m.value));
  const listedRequests = () => requests.filter((r) => r.startsWith('listed.img.test '));
  return { ...w, verdicts, listedRequests };
}

const at = (path: string) => `http://img.test:${port}${path}`;
const listed = (path: string) => `http://listed.img.test:${port}${path}`;

describe('a redirect to a URL-listed URL', () => {
  it('makes an observed media URL a URL-list hit on the listed URL, which is never fetched', async () => {
    const w = redirectWorld();
    expect(await w.observe(at('/r/abuse.jpg'))).toEqual({ kind: 'ok' });
    expect(w.verdicts().map((v) => [v.url, v.hits.map((h) => h.entryId)])).toEqual([
      [listed('/abuse.jpg'), ['url:e1']],
    ]);
    expect(w.sent.filter((m) => m.topic === 'media')).toHaveLength(0);
    expect(w.listedRequests()).toEqual([]);
    expect(await w.count('url-list-hit')).toBe(1);
  });

  it('makes a reported URL that redirects there a URL-list hit', async () => {
    const w = redirectWorld();
    expect(await w.observe(at('/r/gallery.html'), reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
    expect(w.verdicts().map((v) => v.url)).toEqual([listed('/gallery.html')]);
    expect(w.listedRequests()).toEqual([]);
  });

  it("makes a reported page's image, and its frame, that redirect there URL-list hits", async () => {
    pages.set('/page.html', `<img src="/r/one.jpg"><iframe src="/r/frame.html"></iframe><img src="/ok.jpg">`);
    const w = redirectWorld();
    expect(await w.observe(at('/page.html'), reportedEvent(EVENT_ID))).toEqual({ kind: 'ok' });
    const image = embeddedSubmissionId(EVENT_ID, at('/r/one.jpg'));
    const frame = embeddedSubmissionId(EVENT_ID, at('/r/frame.html'));
    const ok = embeddedSubmissionId(EVENT_ID, at('/ok.jpg'));
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([image, frame, ok]);
    expect(Object.fromEntries(w.verdicts().map((v) => [v.submissionId, v.url]))).toEqual({
      [image]: listed('/one.jpg'),
      [frame]: listed('/frame.html'),
    });
    expect(w.sent.filter((m) => m.topic === 'media').map((m) => m.key)).toEqual([ok]);
    expect(w.listedRequests()).toEqual([]);
    expect(await w.countImages('url-list-hit')).toBe(2);
    expect(await w.countFrames('url-list-hit')).toBe(1);
  });
});
