import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { extractPageImages } from './page-images.js';

const PAGE = 'https://site.example/a/page.html';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('extractPageImages: CSS images', () => {
  it("takes any element's style background and <style> images, in document order, with their source", () => {
    const r = extractPageImages(
      `<head><style>
         @import url("theme.css"); @font-face { src: url(f.woff) }
         .hero { background: #000 url('/bg/hero.jpg') center / cover; }
         li::before { content: url(icons/dot.png) } .x { color: red }
       </style><meta property="og:image" content="/og.jpg"></head>
       <body><div class="thumb" style="background-image: url(&quot;t1.jpg&quot;)"></div>
       <a href="/next" style="BACKGROUND:url(t2.webp) no-repeat"><img src="t3.jpg"></a>
       <span style="color: red; background-image: url(t1.jpg)"></span>`,
      PAGE,
    );
    expect(r.images).toEqual([
      'https://site.example/bg/hero.jpg',
      'https://site.example/a/icons/dot.png',
      'https://site.example/og.jpg',
      'https://site.example/a/t1.jpg',
      'https://site.example/a/t2.webp',
      'https://site.example/a/t3.jpg',
    ]);
    expect(r.sources).toEqual(['css', 'css', 'meta', 'css', 'css', 'img']);
  });

  it('resolves CSS URLs against <base href> as img src are, wherever the base stands', () => {
    const r = extractPageImages(
      `<div style="background: url(rel.jpg)"></div><style>p{background:url(../up.png)}</style>
       <base href="https://cdn.example/g/x/">`,
      PAGE,
    );
    expect(r.images).toEqual(['https://cdn.example/g/x/rel.jpg', 'https://cdn.example/g/up.png']);
  });

  it('decodes a data: image in CSS as an inline image, and refuses what is not one', () => {
    const uri = `data:image/jpeg;base64,${JPEG.toString('base64')}`;
    const r = extractPageImages(
      `<img src="/a.jpg"><div style="background-image:url('${uri}')"></div>
       <style>b{background:url(data:image/svg+xml;utf8,%3Csvg%3E)}</style><p style="content:url(javascript:x)">`,
      PAGE,
    );
    expect(r.images).toEqual(['https://site.example/a.jpg']);
    expect(r.inline.map((i) => [i.sha256, i.before, i.source])).toEqual([[sha256(JPEG), 1, 'css']]);
    expect(r.refused).toMatchObject({ 'inline-not-base64': 1, scheme: 1 });
  });

  it('reads a huge style attribute once, and shares the cap and the candidate bound with other images', () => {
    const style = Array.from({ length: 20_000 }, (_, i) => `background-image:url(/bg/${i}.jpg)`).join(';');
    const r = extractPageImages(`<div style="${style}"></div><img src="/last.jpg">`, PAGE, { max: 3 });
    expect(r.images).toEqual([0, 1, 2].map((i) => `https://site.example/bg/${i}.jpg`));
    expect(r.omitted).toBe(20_000 - 3 + 1);
  });

  it('survives hostile CSS: unterminated url( and comments, a style block never closed', () => {
    expect(
      extractPageImages(`<div style="background:url(/a.jpg"></div><img src="/b.jpg">`, PAGE).images,
    ).toEqual(['https://site.example/a.jpg', 'https://site.example/b.jpg']);
    expect(
      extractPageImages(`<div style="background:/* url(x.jpg)"><style>a{background:url(/s.jpg) `, PAGE)
        .images,
    ).toEqual(['https://site.example/s.jpg']);
    const hostile = `<div style="${'url('.repeat(100_000)}"></div><style>${'a{background:url('.repeat(50_000)}`;
    expect(extractPageImages(hostile, PAGE).images).toEqual([]);
  });
});

describe('extractPageImages: frames', () => {
  it('names iframe and frame pages, resolved, de-duplicated, in order, where they stand among the images', () => {
    const r = extractPageImages(
      `<img src="/1.jpg"><iframe src="embed/gallery.html"></iframe><img src="/2.jpg">
       <iframe src="about:blank"></iframe><iframe src="javascript:void(0)"></iframe><iframe srcdoc="x"></iframe>
       <frameset><frame src="https://other.example/f.html#top"><frame src="/a/embed/gallery.html"></frameset>
       <iframe src="http://u:p@other.example/"></iframe>`,
      PAGE,
    );
    expect(r.frames).toEqual([
      { url: 'https://site.example/a/embed/gallery.html', before: 1 },
      { url: 'https://other.example/f.html', before: 2 },
    ]);
    // A frame is no image: it is neither one of `images` nor refused as one.
    expect(r.images).toEqual(['https://site.example/1.jpg', 'https://site.example/2.jpg']);
    expect(r.refused).toMatchObject({ scheme: 0, credentials: 0 });
  });

  it('names at most maxFrames frames and counts the rest, even past the image cap', () => {
    const html = `<img src="/1.jpg"><img src="/2.jpg">${[1, 2, 3, 4, 5].map((i) => `<iframe src="/f${i}"></iframe>`).join('')}`;
    const r = extractPageImages(html, PAGE, { max: 1, maxFrames: 2 });
    expect(r.frames.map((f) => f.url)).toEqual(['https://site.example/f1', 'https://site.example/f2']);
    expect(r.framesOmitted).toBe(3);
    expect(r.omitted).toBe(1);
    expect(extractPageImages(html, PAGE).frames).toHaveLength(4);
  });

  it("reads an iframe's srcdoc document in place, and counts every frame whose document goes unread", () => {
    const inner = `<img src=&quot;hidden.jpg&quot;><p style=&quot;background:url(/bg.jpg)&quot;></p>
      <iframe src=&quot;/nested.html&quot;></iframe><iframe srcdoc=&quot;<img src=deeper.jpg>&quot;></iframe>`;
    const r = extractPageImages(
      `<img src="/1.jpg"><iframe src="/ignored.html" srcdoc="${inner}"></iframe><img src="/2.jpg">
       <iframe src="data:text/html,<img src=https://x.example/d.jpg>"></iframe>`,
      PAGE,
    );
    // The srcdoc's images, resolved against the page, where the frame stands; its src is not what a browser shows.
    expect(r.images).toEqual([
      'https://site.example/1.jpg',
      'https://site.example/a/hidden.jpg',
      'https://site.example/bg.jpg',
      'https://site.example/2.jpg',
    ]);
    expect(r.sources).toEqual(['img', 'frame', 'frame', 'img']);
    expect(r.frames).toEqual([]);
    // Unread: the srcdoc's own frame and srcdoc, and the data: frame.
    expect(r.framesOmitted).toBe(3);
  });

  it('counts frames past the bound of distinct frames named, never drops them silently', () => {
    const html = Array.from({ length: 1100 }, (_, i) => `<iframe src="/f${i}"></iframe>`).join('');
    const r = extractPageImages(html, PAGE, { maxFrames: 4 });
    expect(r.frames).toHaveLength(4);
    expect(r.framesOmitted).toBe(1096);
  });
});
