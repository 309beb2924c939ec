import { describe, expect, it } from 'vitest';
import type { PageFetchOutcome } from '@mod/urls/fetch';
import { imageAnswer, pageAnswer, reportedEvent, world } from './fetch-step.test-helper.js';
import { PAGE_IMAGE_FETCHES_AT_ONCE } from './page-crawl.js';

const reported = (n: number) => reportedEvent(`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
const page = pageAnswer;
const image = (url: string) => imageAnswer(url);

/** Pages `https://pN.example/` showing six images each; image fetches answer on a later turn, counted while open. */
function pagesOfImages() {
  const state = { active: 0, most: 0 };
  const outcome = async (url: string): Promise<PageFetchOutcome> => {
    if (url.endsWith('/'))
      return page(url, Array.from({ length: 6 }, (_, i) => `<img src="/${i}.jpg">`).join(''));
    state.active++;
    state.most = Math.max(state.most, state.active);
    await new Promise((resolve) => setImmediate(resolve));
    state.active--;
    return image(url);
  };
  return { state, outcome };
}

describe('crawling reported pages: bounds', () => {
  it('fetches a bounded number of images at once, all pages together (each holds up to FETCH_MAX_BYTES)', async () => {
    const { state, outcome } = pagesOfImages();
    const w = world(outcome, { maxPageImages: 6 });
    // As many pages at once as FETCHER_MAX_IN_FLIGHT lets in (8 by default), each four images at a time, were
    // 32 media bodies held at once (384 MiB at 12 MiB each) where one media event holds one.
    const pages = Array.from({ length: 8 }, (_, i) => w.observe(`https://p${i}.example/`, reported(100 + i)));
    expect(await Promise.all(pages)).toEqual(Array.from({ length: 8 }, () => ({ kind: 'ok' })));
    expect(state.most).toBe(PAGE_IMAGE_FETCHES_AT_ONCE);
    // Each page still has all its images submitted.
    expect(w.refusals.map((r) => r.embeddedSubmissionIds?.length)).toEqual(
      Array.from({ length: 8 }, () => 6),
    );
    expect(w.sent.filter((m) => m.topic === 'media')).toHaveLength(48);
  });

  it('stops fetching the other images when one fails the step, before the step answers', async () => {
    const { state, outcome } = pagesOfImages();
    const w = world(
      (url) =>
        url.endsWith('/')
          ? page(
              url,
              '<meta property="og:image" content="https://listed.example/a.jpg">' +
                Array.from({ length: 7 }, (_, i) => `<img src="/${i + 1}.jpg">`).join(''),
            )
          : outcome(url),
      { maxPageImages: 8 },
    );
    w.listHost('e1', 'listed.example');
    // The listed image's verdict cannot be sent: the step fails (the event is retried).
    w.setBrokerDown(true);
    await expect(w.observe('https://p0.example/', reported(1))).rejects.toThrow('broker down');
    // Nothing of the failed delivery goes on behind the retry's back: no fetch still open, no new one started.
    expect(state.active).toBe(0);
    const started = w.fetched.length;
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.fetched).toHaveLength(started);
    expect(w.fetched.length).toBeLessThan(1 + 7);
    expect(w.refusals).toEqual([]);
  });
});
