import { describe, expect, it } from 'vitest';
import { Codecs, embeddedSubmissionId, fetcherSubmissionIds, MEDIA_META_HEADER } from '@mod/contracts';
import type { PageFetchOutcome } from '@mod/urls/fetch';
import {
  imageAnswer,
  JPEG,
  notFoundAnswer,
  pageAnswer,
  reportedEvent,
  world,
} from './fetch-step.test-helper.js';

const PAGE_URL = 'https://page.example/post/1';
const EVENT_ID = '00000000-0000-4000-8000-00000000aaaa';
const reported = reportedEvent(EVENT_ID);

const html = `<html><head><meta property="og:image" content="https://listed.example/a.jpg"></head><body>
  <img src="/ok.jpg"><img src="data:image/png;base64,AAAA"><img src="/missing.jpg"><img src="/ok.jpg">
  <img src="/third.jpg"><img src="/beyond-the-cap.jpg"></body></html>`;

/** The page, its images (ok.jpg is media, missing.jpg is refused), by URL. */
function outcomes(url: string): PageFetchOutcome {
  if (url === PAGE_URL) return pageAnswer(url, html, 'text/html; charset=utf-8');
  return url === 'https://page.example/ok.jpg' ? imageAnswer(url) : notFoundAnswer(url);
}

describe('fetch step: a reported HTML page', () => {
  it('matches and submits the images it shows (at most the cap), and records the page with their submissions', async () => {
    const w = world(outcomes);
    w.listHost('e1', 'listed.example');
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    const listed = embeddedSubmissionId(EVENT_ID, 'https://listed.example/a.jpg');
    const fetched = embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg');
    // The og:image is listed: a verdict, its submission claimed first; ok.jpg is fetched and submitted as media.
    // The cap (3) counts fetched images: the listed one is not one of them.
    expect(w.fetched).toEqual([
      PAGE_URL,
      'https://page.example/ok.jpg',
      'https://page.example/missing.jpg',
      'https://page.example/third.jpg',
    ]);
    expect(w.sent.map((m) => [m.topic, m.key])).toEqual([
      ['verdicts', listed],
      ['media', fetched],
    ]);
    const verdict = Codecs.verdict.decode(w.sent[0]!.value);
    expect(verdict).toMatchObject({ submissionId: listed, tenantId: 'public-reports', decision: 'match' });
    expect(w.owners.get(listed)).toBe('public-reports');
    const meta = Codecs.mediaMeta.decode(w.sent[1]!.headers[MEDIA_META_HEADER]!);
    expect(meta).toMatchObject({ submissionId: fetched, tenantId: 'public-reports', source: 'fetcher' });
    expect(w.sent[1]!.value.equals(JPEG)).toBe(true);
    // The page is recorded as not media (as before), naming the images' submissions in document order.
    expect(w.refusals).toEqual([
      {
        id: fetcherSubmissionIds(EVENT_ID).fetched,
        tenantId: 'public-reports',
        url: PAGE_URL,
        failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
        embeddedSubmissionIds: [listed, fetched],
        // Every image reference: the two submitted, two refused, one beyond the cap and the inline data: one.
        embeddedImagesShown: 6,
        // Where each comes from: the listed one is the page's og:image, the fetched one an img.
        embeddedImageSources: { [listed]: 'meta', [fetched]: 'img' },
      },
    ]);
    expect(await w.count('page-crawled')).toBe(1);
    expect(
      await Promise.all(
        ['url-list-hit', 'fetched', 'refused', 'omitted', 'bad-url', 'allow-listed', 'inline-refused'].map(
          w.countImages,
        ),
      ),
    ).toEqual([1, 1, 2, 1, 0, 0, 1]);

    // A redelivered event makes the same submissions: nothing new downstream can tell apart.
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(w.sent.slice(2).map((m) => [m.topic, m.key])).toEqual([
      ['verdicts', listed],
      ['media', fetched],
    ]);
    expect(w.refusals[1]).toEqual(w.refusals[0]);
  });

  it('dead-letters the event when an image submission is another tenant', async () => {
    const w = world(outcomes);
    w.listHost('e1', 'listed.example');
    w.owners.set(embeddedSubmissionId(EVENT_ID, 'https://listed.example/a.jpg'), 'plat-1');
    expect(await w.observe(PAGE_URL, reported)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_FETCH_SUBMISSION_NOT_OWNED',
    });
    expect(w.refusals).toEqual([]);
    expect(w.sent.filter((m) => m.topic === 'verdicts')).toEqual([]);
  });

  it('skips images in an allow list, and never crawls ISP traffic', async () => {
    const w = world(outcomes);
    w.banks.set('allow', { name: 'allow', enabled: true, negative: true, actionPolicy: 'automatic' });
    w.index.add({
      id: 'a1',
      kind: 'host',
      pattern: 'listed.example',
      data: { bankId: 'allow', dedicatedToAbuse: false, category: null },
    });
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(await w.countImages('allow-listed')).toBe(1);
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([
      embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg'),
    ]);
    // An ISP's observation of the same page (fetch every URL or not) is media mode: a page is not media.
    const isp = world(outcomes);
    expect(await isp.observe(PAGE_URL, { contentType: 'image/jpeg' })).toMatchObject({ kind: 'drop' });
    expect(isp.fetched).toEqual([PAGE_URL]);
    expect(isp.sent).toEqual([]);
    expect(await isp.count('page-crawled')).toBe(0);
  });

  it("gives all of a page's image fetches one deadline: an image still loading then is refused, the rest submitted", async () => {
    // missing.jpg never answers until its fetch's signal aborts (the crawl's deadline).
    const slow = (url: string, signal?: AbortSignal) =>
      url !== 'https://page.example/missing.jpg'
        ? outcomes(url)
        : new Promise<PageFetchOutcome>((resolve) =>
            signal?.addEventListener('abort', () =>
              resolve({ ok: false, reason: 'aborted', detail: 'crawl deadline', url, redirects: [] }),
            ),
          );
    const w = world(slow, { pageCrawlTimeoutMs: 50 });
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([
      embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg'),
    ]);
    // Refused: missing.jpg at the deadline, and the og:image (not listed here; the server answers 404).
    expect(await w.countImages('refused')).toBe(2);
  });

  it('keeps a reported image as it was: submitted as the report event own media', async () => {
    const w = world(outcomes);
    expect(await w.observe('https://page.example/ok.jpg', reported)).toEqual({ kind: 'ok' });
    expect(w.sent.map((m) => [m.topic, m.key])).toEqual([['media', fetcherSubmissionIds(EVENT_ID).fetched]]);
    expect(w.refusals).toEqual([]);
  });
});
