import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeInlineImage } from './inline-images.js';
import { extractPageImages } from './page-images.js';

const PAGE = 'https://site.example/a/page.html';
/** Enough of each format for its magic bytes (the extractor sniffs, never decodes pixels). */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01]);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(12, 1),
]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const uri = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

describe('extractPageImages: inline (data:) images', () => {
  it('decodes a base64 JPEG and PNG in img src, srcset, picture source and og:image, in document order', () => {
    const r = extractPageImages(
      `<meta property="og:image" content="${uri('image/jpeg', JPEG)}"><img src="/one.jpg">
       <picture><source srcset="/small.webp 100w, ${uri('image/png', PNG)} 800w"></picture>
       <img src="/two.jpg" srcset="${uri('image/gif', GIF)} 2x">`,
      PAGE,
    );
    expect(r.images).toEqual(['https://site.example/one.jpg', 'https://site.example/two.jpg']);
    expect(r.inline.map((i) => [i.mediaType, i.sha256, i.before])).toEqual([
      ['image/jpeg', sha256(JPEG), 0],
      ['image/png', sha256(PNG), 1],
      ['image/gif', sha256(GIF), 2],
    ]);
    expect(Buffer.from(r.inline[0]!.bytes).equals(JPEG)).toBe(true);
  });

  it('trusts the bytes, not the declared type: image/png of GIF bytes is a GIF; SVG and text are refused', () => {
    const r = extractPageImages(
      `<img src="${uri('image/png', GIF)}"><img src="${uri('image/svg+xml', SVG)}">
       <img src="${uri('text/plain', Buffer.from('hello, world'))}"><img src="${uri('text/html', JPEG)}">
       <img src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E"><img src="data:image/jpeg,${JPEG.toString('latin1')}">`,
      PAGE,
    );
    expect(r.inline.map((i) => i.mediaType)).toEqual(['image/gif', 'image/jpeg']);
    expect(r.refused['inline-not-image']).toBe(2);
    expect(r.refused['inline-not-base64']).toBe(2);
  });

  it('refuses bad base64 (a character outside the alphabet, a length of 4n+1, padding inside) and counts it', () => {
    const good = JPEG.toString('base64');
    const r = extractPageImages(
      [
        `${good.slice(0, 8)}*${good.slice(9)}`,
        `${good}A`,
        `${good.slice(0, 4)}=${good.slice(4)}`,
        `${good}===`,
      ]
        .map((body) => `<img src="data:image/jpeg;base64,${body}">`)
        .join(''),
      PAGE,
    );
    expect(r.inline).toEqual([]);
    expect(r.refused['inline-bad-base64']).toBe(4);
  });

  it('decodes as a browser does: white space, missing padding, percent-encoding, case and tabs in the scheme', () => {
    const b64 = PNG.toString('base64');
    for (const src of [
      `data:image/png;base64,${b64.slice(0, 8)}\n ${b64.slice(8)}`,
      `data:image/png;base64,${b64.replace(/=+$/, '')}`,
      `data:image/png;base64,${b64.replaceAll('+', '%2B').replaceAll('/', '%2F')}`,
      `DA\tTA:IMAGE/PNG ; BASE64,${b64}`,
    ])
      expect(decodeInlineImage(src, 1024)).toMatchObject({ ok: true, image: { sha256: sha256(PNG) } });
  });

  it('takes each image once (by its bytes), refuses one over the size limit, and shares the cap', () => {
    const b64 = JPEG.toString('base64');
    const r = extractPageImages(
      `<img src="data:image/jpeg;base64,${b64}"><img src="data:image/png;base64,${b64}">
       <img src="data:image/jpeg;base64,${b64}"><img src="${uri('image/png', PNG)}">`,
      PAGE,
      { maxInlineBytes: JPEG.length },
    );
    // The same bytes twice (another declared type, the same text again) are one image; the PNG is too large.
    expect(r.inline.map((i) => i.sha256)).toEqual([sha256(JPEG)]);
    expect(r.refused['inline-too-large']).toBe(1);
    const capped = extractPageImages(
      `<img src="${uri('image/jpeg', JPEG)}"><img src="/a.jpg"><img src="${uri('image/png', PNG)}"><img src="/b.jpg">`,
      PAGE,
      { max: 2 },
    );
    expect([capped.inline.length, capped.images, capped.omitted]).toEqual([
      1,
      ['https://site.example/a.jpg'],
      2,
    ]);
  });

  it('stays linear on a hostile page of large and many distinct data: URIs', () => {
    const big = `<img src="data:image/jpeg;base64,${'A'.repeat(1_900_000)}">`;
    // A srcset as long as an inline image may be, of one candidate with a long run of commas inside.
    const commas = `<img srcset="x${','.repeat(1_000_000)}y, ${uri('image/jpeg', JPEG)} 2x">`;
    expect(extractPageImages(commas, PAGE).inline.map((i) => i.sha256)).toEqual([sha256(JPEG)]);
    const many = Array.from(
      { length: 3000 },
      (_, i) => `<img src="data:image/png;base64,${i}${'A'.repeat(600)}">`,
    );
    expect(extractPageImages(big, PAGE).refused['inline-not-image']).toBe(1);
    const r = extractPageImages(many.join(''), PAGE);
    expect(r.inline).toEqual([]);
    // Each distinct URI is decoded once, at most 1,024 of them: a quadratic decode would time the test out.
    expect(r.omitted).toBe(3000 - 1024);
  });
});
