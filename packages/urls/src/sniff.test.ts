import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHtmlContentType, sniffMedia, sniffsAsHtml } from './sniff.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

function isoFile(majorBrand: string, compatible: string[]): Buffer {
  const size = 16 + compatible.length * 4;
  const box = Buffer.alloc(size + 8);
  box.writeUInt32BE(size, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(majorBrand, 8, 'latin1');
  compatible.forEach((brand, i) => box.write(brand, 16 + i * 4, 'latin1'));
  return box;
}

function bmpHeader(dibSize: number): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54, 2);
  header.writeUInt32LE(dibSize, 14);
  return header;
}

describe('sniffMedia', () => {
  it.each([
    ['small.jpg', 'image/jpeg'],
    ['babylonian.png', 'image/png'],
    ['f.webp', 'image/webp'],
  ])('recognises the %s fixture as %s', (name, type) => {
    expect(sniffMedia(fixture(name))).toBe(type);
    expect(sniffMedia(fixture(name).subarray(0, 64))).toBe(type);
  });

  it.each([
    ['GIF89a', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['GIF87a', Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['TIFF little-endian', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'image/tiff'],
    ['TIFF big-endian', Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]), 'image/tiff'],
    ['BMP', bmpHeader(40), 'image/bmp'],
    ['AVIF', isoFile('avif', ['mif1', 'miaf']), 'image/avif'],
    ['AVIF by compatible brand', isoFile('mif1', ['avif']), 'image/avif'],
    ['HEIC', isoFile('heic', ['mif1', 'heic']), 'image/heic'],
    ['HEIF mif1', isoFile('mif1', ['heic']), 'image/heic'],
  ])('recognises a %s header', (_name, bytes, type) => {
    expect(sniffMedia(bytes)).toBe(type);
  });

  it.each([
    ['HTML', Buffer.from('<!doctype html><html><body>hi</body></html>')],
    ['text starting with BM', Buffer.from('BMW owners club newsletter, issue 12 of 2026')],
    ['MP4 video', isoFile('isom', ['iso2', 'mp41'])],
    ['empty', Buffer.alloc(0)],
    ['truncated JPEG', Buffer.from([0xff, 0xd8])],
    ['PDF', Buffer.from('%PDF-1.7\n')],
  ])('refuses %s', (_name, bytes) => {
    expect(sniffMedia(bytes)).toBeNull();
  });
});

describe('page sniffing', () => {
  it('names HTML content types, with or without parameters, and nothing else', () => {
    expect(isHtmlContentType('text/html')).toBe(true);
    expect(isHtmlContentType(' Text/HTML ; charset=windows-1258')).toBe(true);
    expect(isHtmlContentType('application/xhtml+xml')).toBe(true);
    expect(isHtmlContentType('text/plain')).toBe(false);
    expect(isHtmlContentType('text/htmlx')).toBe(false);
    expect(isHtmlContentType(null)).toBe(false);
  });

  it('sniffs an untyped body as HTML by its signatures, as a browser does', () => {
    for (const yes of ['\n\t<!DOCTYPE HTML>', '<html>', '<B>x', '<!-- x -->', ' <p class=x>'])
      expect(sniffsAsHtml(Buffer.from(yes))).toBe(true);
    for (const no of ['x<html>', '<pre>', '<html', '<?xml version="1.0"?>', ''])
      expect(sniffsAsHtml(Buffer.from(no))).toBe(false);
  });
});
