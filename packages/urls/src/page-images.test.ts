import { describe, expect, it } from 'vitest';
import { extractPageImages } from './page-images.js';
import { largestSrcsetCandidate } from './srcset.js';

const PAGE = 'https://site.example/a/page.html';
const images = (html: string, max?: number) =>
  extractPageImages(html, PAGE, max === undefined ? {} : { max }).images;

describe('extractPageImages', () => {
  it('takes img src, the largest srcset candidate, picture sources, og/twitter images and image_src links', () => {
    const html = `<!doctype html><html><head>
      <meta property="og:image" content="/og.jpg"><meta name="twitter:image" content="https://cdn.example/tw.png">
      <link rel="shortcut image_src" href="img/link.gif">
      </head><body>
      <IMG SRC='x.jpg' srcset="s.jpg 100w, l.jpg 800w, m.jpg 400w">
      <picture><source srcset="p1.webp 1x, p2.webp 2x"><img src=fallback.jpg></picture>
      <source srcset="outside.webp">
      <img src="x.jpg">
    </body></html>`;
    expect(images(html)).toEqual([
      'https://site.example/og.jpg',
      'https://cdn.example/tw.png',
      'https://site.example/a/img/link.gif',
      'https://site.example/a/x.jpg',
      'https://site.example/a/l.jpg',
      'https://site.example/a/p2.webp',
      'https://site.example/a/fallback.jpg',
    ]);
  });

  it('takes the addresses lazy-loading scripts keep while src holds a placeholder', () => {
    const placeholder = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
    const html = `<img src="${placeholder}" data-src="/gallery/1.jpg">
      <img class="lazyload" data-lazy-src="/gallery/2.jpg" data-srcset="/gallery/2s.jpg 300w, /gallery/2l.jpg 1200w">
      <img src="/spinner.gif" data-original="https://cdn.example/3.jpg">
      <picture><source data-srcset="/gallery/4.webp 1x, /gallery/4@2x.webp 2x"><img src="/4.jpg"></picture>
      <div data-src="/not-an-image-tag.jpg"></div>`;
    expect(images(html)).toEqual([
      'https://site.example/gallery/1.jpg',
      'https://site.example/gallery/2.jpg',
      'https://site.example/gallery/2l.jpg',
      'https://site.example/spinner.gif',
      'https://cdn.example/3.jpg',
      'https://site.example/gallery/4@2x.webp',
      'https://site.example/4.jpg',
    ]);
  });

  it('resolves against the first <base href>, wherever it stands, and decodes character references', () => {
    const html = `<img src="one.jpg?a=1&amp;b=2"><base href="https://other.example/d/"><base href="/ignored/">
      <img src="&#x2F;two&#46;jpg">`;
    expect(images(html)).toEqual([
      'https://other.example/d/one.jpg?a=1&b=2',
      'https://other.example/two.jpg',
    ]);
  });

  it('refuses data:, javascript:, other schemes and credentials, and canonicalises and de-duplicates', () => {
    const r = extractPageImages(
      `<img src="data:image/png;base64,AAAA"><img src="javascript:alert(1)"><img src=" JaVaScRiPt:x">
       <img src="ftp://f.example/x.jpg"><img src="https://user:pw@c.example/x.jpg"><img src="http://[zz/x.jpg">
       <img src="HTTPS://Site.EXAMPLE:443/a/%7ex.jpg#frag"><img src="/a/~x.jpg"><img src="">`,
      PAGE,
    );
    expect(r.images).toEqual(['https://site.example/a/~x.jpg']);
    // The data: URI is decoded (three zero bytes: no image); its refusal is counted as inline.
    expect(r.refused).toEqual({
      scheme: 3,
      credentials: 1,
      'bad-url': 1,
      'inline-not-base64': 0,
      'inline-bad-base64': 0,
      'inline-not-image': 1,
      'inline-too-large': 0,
    });
  });

  it('takes at most max images in document order and counts what it left', () => {
    const html = Array.from({ length: 20 }, (_, i) => `<img src="/i${i}.jpg">`).join('');
    const r = extractPageImages(html, PAGE, { max: 3 });
    expect(r.images).toEqual([
      'https://site.example/i0.jpg',
      'https://site.example/i1.jpg',
      'https://site.example/i2.jpg',
    ]);
    expect(r.omitted).toBe(17);
  });

  it('examines at most 1,024 candidates, however few images they yield, and each distinct text once', () => {
    const refused = Array.from({ length: 2000 }, (_, i) => `<img src="data:,${i}">`).join('');
    const r = extractPageImages(`${refused}<img src="/late.jpg">`, PAGE);
    expect(r.images).toEqual([]);
    expect(r.omitted).toBe(977);
    expect(r.refused['inline-not-base64']).toBe(1024);
    const dupes = extractPageImages(`${'<img src="/same.jpg">'.repeat(5000)}<img src="/other.jpg">`, PAGE);
    expect(dupes.images).toEqual(['https://site.example/same.jpg', 'https://site.example/other.jpg']);
  });

  it('skips comments, CDATA, script, style and textarea content, and stops at an unclosed tag or comment', () => {
    const html = `<!-- <img src="c.jpg"> --><![CDATA[<img src="cd.jpg">]]>
      <script>var s = '<img src="s.jpg">'; // </scripty> still script
      </SCRIPT ><style>a::after{content:'<img src="st.jpg">'}</style><textarea><img src="t.jpg"></textarea>
      <img src="real.jpg"><!-- <img src="after-unclosed-comment.jpg">`;
    expect(images(html)).toEqual(['https://site.example/a/real.jpg']);
    expect(images(`<img src="a.jpg"><img src="b.jpg`)).toEqual(['https://site.example/a/a.jpg']);
    expect(images(`<img src="a.jpg"><img src=b.jpg alt="x`)).toEqual(['https://site.example/a/a.jpg']);
    expect(images(`<img src="a.jpg"><script><img src="b.jpg">`)).toEqual(['https://site.example/a/a.jpg']);
  });

  it('ends comments and CDATA where a browser does, so no markup it shows hides in them', () => {
    const html = `<!--><img src="1.jpg"><!---><img src="2.jpg"><!-- x --!><img src="3.jpg">
      <!-- a -- b ---><img src="4.jpg"><![CDATA[ x ><img src="5.jpg">]]><!-- <img src="no.jpg"> -->`;
    expect(images(html)).toEqual([1, 2, 3, 4, 5].map((i) => `https://site.example/a/${i}.jpg`));
  });

  it('ignores attribute values longer than a URL can be', () => {
    expect(images(`<img src="/${'a'.repeat(40_000)}.jpg"><img src="ok.jpg">`)).toEqual([
      'https://site.example/a/ok.jpg',
    ]);
  });

  it('stays linear on hostile input (unclosed quotes, endless tags, nested-looking srcsets)', () => {
    const hostile = [
      '<img src="'.repeat(50_000),
      '<'.repeat(400_000),
      '<a '.repeat(200_000),
      '<!--'.repeat(200_000),
      `<img srcset="${'x 1x,'.repeat(6_000)}${'('.repeat(5_000)}">`,
      '<script>' + '</scrip'.repeat(100_000),
      '<img src=a.jpg '.repeat(100_000),
      '&#x' + '1'.repeat(500_000),
    ];
    // Each is about 1-2 MB; a quadratic scan would take minutes, a linear one well under a second each.
    for (const html of hostile) {
      const r = extractPageImages(html, PAGE);
      expect(r.images.length).toBeLessThanOrEqual(16);
    }
  });

  it('gives nothing for a page URL it cannot parse, and never throws on odd markup', () => {
    expect(extractPageImages('<img src="/x.jpg">', 'not a url').images).toEqual([]);
    expect(images('<img/src="x.jpg"/><img\nsrc\n=\n"y.jpg"><img =src="z.jpg"></img src="e.jpg">')).toEqual([
      'https://site.example/a/x.jpg',
      'https://site.example/a/y.jpg',
    ]);
  });
});

describe('largestSrcsetCandidate', () => {
  it('prefers the widest, then the densest, a bare URL counting as 1x', () => {
    expect(largestSrcsetCandidate('a.jpg, b.jpg 2x, c.jpg 1.5x')).toBe('b.jpg');
    expect(largestSrcsetCandidate('a.jpg 10w, b.jpg 2000w, c.jpg 300w')).toBe('b.jpg');
    expect(largestSrcsetCandidate('https://c.example/w_100,h_100/x.jpg 100w, y.jpg 50w')).toBe(
      'https://c.example/w_100,h_100/x.jpg',
    );
    expect(largestSrcsetCandidate('a.jpg,, b.jpg 3x')).toBe('b.jpg');
    expect(largestSrcsetCandidate(' , ')).toBeNull();
  });
});

describe('extractPageImages: other elements that show an image or a document', () => {
  it('takes a video poster, an image button and SVG images, and names object and embed as frames', () => {
    const r = extractPageImages(
      `<video poster="/v/poster.jpg" src="/v/clip.mp4"></video>
       <input type="IMAGE" src="btn.png"><input type="text" src="not-shown.png">
       <svg><image href="svg-a.jpg"/><image xlink:href="svg-b.jpg"/></svg><image src="legacy.jpg">
       <object data="/gallery/frame.html" type="text/html"></object><embed src="https://other.example/e.jpg">`,
      'https://site.example/a/page.html',
    );
    expect(r.images).toEqual([
      'https://site.example/v/poster.jpg',
      'https://site.example/a/btn.png',
      'https://site.example/a/svg-a.jpg',
      'https://site.example/a/svg-b.jpg',
      'https://site.example/a/legacy.jpg',
    ]);
    expect(r.sources).toEqual(['img', 'img', 'img', 'img', 'img']);
    expect(r.frames.map((f) => f.url)).toEqual([
      'https://site.example/gallery/frame.html',
      'https://other.example/e.jpg',
    ]);
  });
});
