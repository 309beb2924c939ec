import { describe, expect, it } from 'vitest';
import { ftypBrands, ftypMajorBrand, imageSignature } from './image-signatures.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function bmpHeader(dibSize: number): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(dibSize, 14);
  return header;
}

function ftypBox(size: number, majorBrand: string, compatible: string[]): Buffer {
  const box = Buffer.alloc(16 + compatible.length * 4);
  box.writeUInt32BE(size, 0);
  box.write(`ftyp${majorBrand}`, 4, 'latin1');
  compatible.forEach((brand, i) => box.write(brand, 16 + i * 4, 'latin1'));
  return box;
}

describe('imageSignature', () => {
  it.each([
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'png'],
    ['GIF87a', latin1('GIF87a\x01\x00'), 'gif'],
    ['GIF89a', latin1('GIF89a\x01\x00'), 'gif'],
    ['WebP', latin1('RIFF\x00\x00\x00\x00WEBPVP8 '), 'webp'],
    ['TIFF little-endian', Buffer.from([0x49, 0x49, 0x2a, 0x00]), 'tiff'],
    ['TIFF big-endian', Buffer.from([0x4d, 0x4d, 0x00, 0x2a]), 'tiff'],
    ['BMP with a known DIB header', bmpHeader(40), 'bmp'],
    ['"BM" with an unknown DIB header size', bmpHeader(41), null],
    ['a truncated PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47]), null],
    ['RIFF that is not WebP', latin1('RIFF\x00\x00\x00\x00WAVE'), null],
    ['an ISO-BMFF file', ftypBox(16, 'avif', []), null],
    ['SVG', latin1('<svg xmlns="http://www.w3.org/2000/svg"/>'), null],
    ['nothing', Buffer.alloc(0), null],
  ])('reads %s', (_name, bytes, expected) => {
    expect(imageSignature(bytes)).toBe(expected);
  });
});

describe('ftypMajorBrand and ftypBrands', () => {
  it('reads the major brand, then the compatible brands within the box', () => {
    const bytes = Buffer.concat([ftypBox(24, 'mif1', ['miaf', 'avif']), latin1('mdat')]);
    expect(ftypMajorBrand(bytes)).toBe('mif1');
    expect(ftypBrands(bytes)).toEqual(['mif1', 'miaf', 'avif']);
  });

  it('stops at the end of the bytes given', () => {
    expect(ftypBrands(ftypBox(24, 'heic', ['mif1', 'heic']).subarray(0, 20))).toEqual(['heic', 'mif1']);
  });

  it('has a major brand but no brands when the box is too small to be one', () => {
    const bytes = ftypBox(8, 'avif', []);
    expect(ftypMajorBrand(bytes)).toBe('avif');
    expect(ftypBrands(bytes)).toEqual([]);
  });

  it('has no brands without an ftyp box', () => {
    expect(ftypMajorBrand(latin1('GIF89a\x01\x00\x01\x00\x00\x00'))).toBeNull();
    expect(ftypBrands(latin1('GIF89a\x01\x00\x01\x00\x00\x00'))).toEqual([]);
  });
});
