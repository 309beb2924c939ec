import { describe, expect, it } from 'vitest';
import { metaRefreshUrl } from './meta-refresh.js';
import { extractPageImages } from './page-images.js';

describe('metaRefreshUrl: the address of a meta refresh, as HTML reads its content', () => {
  it.each([
    ['0; url=/next.html', '/next.html'],
    ["5;URL='a b.html'", 'a b.html'],
    ['1, url = "x.html" trailing', 'x.html'],
    ['  0.5 ;  other.html', 'other.html'],
    ['.5,next.html', 'next.html'],
    ['0 next.html', 'next.html'],
    ['0; urlish.html', 'urlish.html'],
    ["0;url='unclosed.html", 'unclosed.html'],
  ])('%s names %s', (content, url) => expect(metaRefreshUrl(content)).toBe(url));

  it.each([[''], ['0'], ['0; '], ['next.html'], ['0x; url=y'], ['0;url=']])(
    '%s names no address',
    (content) => expect(metaRefreshUrl(content)).toBeNull(),
  );

  it("makes the first refresh a page frames, resolved against the page's base", () => {
    const r = extractPageImages(
      `<base href="https://site.example/b/"><meta http-equiv=" REFRESH " content="0;url=next.html">
       <meta http-equiv="refresh" content="0;url=/second.html"><iframe srcdoc="<meta http-equiv=refresh content='0;url=/in.html'>"></iframe>`,
      'https://site.example/a/page.html',
    );
    expect(r.frames.map((f) => f.url)).toEqual(['https://site.example/b/next.html']);
    // The srcdoc document's own refresh moves the frame, not the page: a frame whose content goes unread.
    expect(r.framesOmitted).toBe(1);
  });

  it("takes the page's Refresh header before any meta refresh", () => {
    const r = extractPageImages(
      '<meta http-equiv="refresh" content="0;url=/meta.html">',
      'https://site.example/a/page.html',
      { refresh: "0; url='/header.html'" },
    );
    expect(r.frames.map((f) => f.url)).toEqual(['https://site.example/header.html']);
  });
});
