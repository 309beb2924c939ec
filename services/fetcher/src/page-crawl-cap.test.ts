import { describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import { imageAnswer, pageAnswer, reportedEvent, world } from './fetch-step.test-helper.js';

const PAGE_URL = 'https://page.example/post/1';
const EVENT_ID = '00000000-0000-4000-8000-00000000dddd';
const reported = reportedEvent(EVENT_ID);
const id = (href: string) => embeddedSubmissionId(EVENT_ID, href);

/** A page of `html`; every other URL is a JPEG. */
const site = (html: string) => (url: string) => (url === PAGE_URL ? pageAnswer(url, html) : imageAnswer(url));

const decoys = (n: number) => Array.from({ length: n }, (_, i) => `<img src="/decoy-${i}.jpg">`).join('');

describe('crawling a reported page: the cap on images', () => {
  it('cannot hide a URL-listed image behind as many decoys as the cap fetches', async () => {
    // The world's cap is 3 images fetched: three decoys first, then the listed image.
    const w = world(
      site(`${decoys(3)}<img src="https://listed.example/a.jpg">${decoys(2).replaceAll('decoy', 'more')}`),
    );
    w.listHost('e1', 'listed.example');
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    const listed = id('https://listed.example/a.jpg');
    expect(w.sent.filter((m) => m.topic === 'verdicts').map((m) => m.key)).toEqual([listed]);
    // The decoys are fetched up to the cap; the two after it are not.
    expect(w.fetched.slice(1).sort()).toEqual([0, 1, 2].map((i) => `https://page.example/decoy-${i}.jpg`));
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([
      ...[0, 1, 2].map((i) => id(`https://page.example/decoy-${i}.jpg`)),
      listed,
    ]);
    expect(await w.countImages('omitted')).toBe(2);
  });

  it('takes at most the cap of URL-listed images too', async () => {
    const listedImages = Array.from({ length: 5 }, (_, i) => `https://listed.example/${i}.jpg`);
    const w = world(site(listedImages.map((u) => `<img src="${u}">`).join('')));
    w.listHost('e1', 'listed.example');
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(w.sent.map((m) => m.key)).toEqual(listedImages.slice(0, 3).map(id));
    expect(await w.countImages('omitted')).toBe(2);
  });
});
