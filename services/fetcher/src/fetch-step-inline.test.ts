import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codecs, embeddedSubmissionId, fetcherSubmissionIds, MEDIA_META_HEADER } from '@mod/contracts';
import { imageAnswer, JPEG, pageAnswer, reportedEvent, world } from './fetch-step.test-helper.js';

const PAGE_URL = 'https://page.example/post/2';
const EVENT_ID = '00000000-0000-4000-8000-00000000bbbb';
const reported = reportedEvent(EVENT_ID);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dataUri = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

/** A page inlining a JPEG (twice), a GIF declared as PNG, bad base64 and an SVG, around one fetched image. */
const html = `<html><body><img src="${dataUri('image/jpeg', JPEG)}"><img src="/ok.jpg">
  <img srcset="/small.jpg 10w, ${dataUri('image/png', GIF)} 900w"><img src="data:image/jpeg;base64,@@@@">
  <img src="${dataUri('image/svg+xml', Buffer.from('<svg/>'))}"><img src=" ${dataUri('image/jpeg', JPEG)}"></body></html>`;

const outcomes = (url: string) =>
  url === PAGE_URL
    ? pageAnswer(url, html, 'text/html; charset=utf-8')
    : imageAnswer(url, Buffer.concat([JPEG, Buffer.from(url)]));

describe('fetch step: images a reported page inlines (data: URIs)', () => {
  it('submits each as media named by the page, with an id from its bytes, and records it with the page', async () => {
    const w = world(outcomes, { maxPageImages: 8 });
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    const jpeg = embeddedSubmissionId(EVENT_ID, `data:sha256:${sha256(JPEG)}`);
    const gif = embeddedSubmissionId(EVENT_ID, `data:sha256:${sha256(GIF)}`);
    const fetched = embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg');
    // Inline images are never fetched: only the page and its one image by URL are.
    expect(w.fetched).toEqual([PAGE_URL, 'https://page.example/ok.jpg']);
    expect(w.sent.map((m) => [m.topic, m.key]).sort()).toEqual(
      [
        ['media', jpeg],
        ['media', fetched],
        ['media', gif],
      ].sort(),
    );
    const byKey = new Map(w.sent.map((m) => [m.key, m]));
    expect(byKey.get(jpeg)!.value.equals(JPEG)).toBe(true);
    expect(byKey.get(gif)!.value.equals(GIF)).toBe(true);
    // The image has no URL of its own: its event names the page (a match's takedown is the page's); the type is
    // what the bytes are, not what the URI declared.
    expect(Codecs.mediaMeta.decode(byKey.get(gif)!.headers[MEDIA_META_HEADER]!)).toMatchObject({
      submissionId: gif,
      tenantId: 'public-reports',
      source: 'fetcher',
      url: PAGE_URL,
      contentType: 'image/gif',
    });
    expect(w.refusals).toEqual([
      {
        id: fetcherSubmissionIds(EVENT_ID).fetched,
        tenantId: 'public-reports',
        url: PAGE_URL,
        failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
        // Document order; the JPEG's second copy is the same image.
        embeddedSubmissionIds: [jpeg, fetched, gif],
        // The three distinct images, the bad base64 and the SVG (both refused, both shown).
        embeddedImagesShown: 5,
        embeddedImageSources: { [jpeg]: 'img', [fetched]: 'img', [gif]: 'img' },
      },
    ]);
    expect(await Promise.all(['inline', 'inline-refused', 'fetched', 'bad-url'].map(w.countImages))).toEqual([
      2, 2, 1, 0,
    ]);

    // A redelivery makes the same submissions.
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(
      w.sent
        .slice(3)
        .map((m) => m.key)
        .sort(),
    ).toEqual([jpeg, fetched, gif].sort());
    expect(w.sent.slice(3).find((m) => m.key === jpeg)!.headers).toEqual(byKey.get(jpeg)!.headers);
    expect(w.refusals[1]).toEqual(w.refusals[0]);
  });

  it('shares the cap with fetched images, in document order, and refuses one over the media size limit', async () => {
    const capped = world(outcomes, { maxPageImages: 2 });
    expect(await capped.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(capped.refusals[0]?.embeddedSubmissionIds).toEqual([
      embeddedSubmissionId(EVENT_ID, `data:sha256:${sha256(JPEG)}`),
      embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg'),
    ]);
    expect(await capped.countImages('omitted')).toBe(1);
    expect(capped.refusals[0]?.embeddedImagesShown).toBe(5);

    // Under a 12-byte limit the GIF (14 bytes) is refused as too large; the JPEG (11 bytes) is taken.
    const small = world(outcomes, { maxPageImages: 8, maxMediaBytes: 12 });
    expect(await small.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    expect(small.refusals[0]?.embeddedSubmissionIds).toEqual([
      embeddedSubmissionId(EVENT_ID, `data:sha256:${sha256(JPEG)}`),
      embeddedSubmissionId(EVENT_ID, 'https://page.example/ok.jpg'),
    ]);
    expect(await small.countImages('inline-refused')).toBe(3);
  });
});
