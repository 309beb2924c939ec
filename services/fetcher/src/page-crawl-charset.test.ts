import { describe, expect, it } from 'vitest';
import { embeddedSubmissionId } from '@mod/contracts';
import { notFoundAnswer, pageAnswer, reportedEvent, world } from './fetch-step.test-helper.js';

const PAGE_URL = 'https://page.example/post/1';
const EVENT_ID = '00000000-0000-4000-8000-00000000cccc';
const reported = reportedEvent(EVENT_ID);
const LISTED = 'https://listed.example/a.jpg';

const page = (contentType: string, body: string) => (url: string) =>
  url === PAGE_URL ? pageAnswer(url, body, contentType) : notFoundAnswer(url);

describe('crawling a reported page: its images as a browser decodes it', () => {
  it.each([
    // A browser honours the meta: the escape (ESC ( B, back to ASCII) is invisible, the tag reads <img src>.
    ['a meta charset', 'text/html', `<meta charset="iso-2022-jp"><img s\x1b(Brc="${LISTED}">`],
    // A byte order mark outranks the header: read as UTF-8, ESC $ B is a control character and two letters.
    ['a byte order mark', 'text/html; charset=iso-2022-jp', `\xef\xbb\xbf<p>\x1b$B<img src="${LISTED}">`],
  ])('finds the image a page hides from another decoding (%s)', async (_, contentType, body) => {
    const w = world(page(contentType, body));
    w.listHost('e1', 'listed.example');
    expect(await w.observe(PAGE_URL, reported)).toEqual({ kind: 'ok' });
    const listed = embeddedSubmissionId(EVENT_ID, LISTED);
    expect(w.sent.map((m) => [m.topic, m.key])).toEqual([['verdicts', listed]]);
    expect(w.refusals[0]?.embeddedSubmissionIds).toEqual([listed]);
  });
});
