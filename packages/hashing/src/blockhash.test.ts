import { bmvbhash } from 'blockhash-core';
import { describe, expect, it } from 'vitest';
import { blockhash, BlockhashMethod } from './blockhash.js';
import { decodeImage } from './decode.js';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
import { defaultDecodeLimits } from './limits.js';

// blockhash-python's published test outputs (16×16 grid), precise then quick, from the issue.
const CASES: ReadonlyArray<readonly [string, string, string]> = [
  [
    '00002701.jpg',
    'f81bf99ffb803400e07f8c7d049f058706013e233fe33fe11f600e638ea30def',
    'f81bf99ffb803400e07f8c5d849f049707033a033fe33fe1bfe00e618ee30ca7',
  ],
  [
    '00011601.jpg',
    '3fff1ca004e80fe81fe00fe01fe81de8fffb0ffb00610031003b03ff80df01ff',
    '3fff1ca004e80fe81fe00fe01fe81de8fffb8ffb00e3000000f303ff83ff4185',
  ],
  [
    '00094701.jpg',
    '03ff007d02da33f325e366690581b79fd103f307fc0474f93ff31e117f550700',
    '03ff007d02da33f325e366f90501379fd103c12ffd04fc787ff31e511f111702',
  ],
  [
    'Babylonian.png',
    'fe7ffe7ffe7ffc7ffc7ffc7ffc000000e107e187f89fe007c00ff81ff81ff83f',
    'fe7ffe7ffe7ffc7ffc7ffc7ffc7f0000c103e187f18ff08f8003fc3ff81ff81f',
  ],
  [
    'clipper_ship.jpg',
    '00007ff07ff07fe07fe67ff07560600077fe701e7f5e000079fd40410001ffff',
    '00007ff07ff07fe07fe67ff07560600077fe701e7f5e000079fd40410001ffff',
  ],
  [
    'stoplights.jpg',
    '0fe01fe007e027c037c077c00fc00fe007e047c001c003c007e007e007e003c0',
    '0fe01fe007e027c037c077c00fe00fe007e047c001c003c007e007e007e003e0',
  ],
];

describe('blockhash conformance with blockhash-python', () => {
  it.each(CASES)('%s: precise and quick 256-bit hashes match', async (file, precise, quick) => {
    const decoded = await decodeImage(fixture(`blockhash/${file}`), defaultDecodeLimits);
    expect(blockhash(decoded.pixels, 16, BlockhashMethod.PRECISE)).toBe(precise);
    expect(blockhash(decoded.pixels, 16, BlockhashMethod.QUICK)).toBe(quick);
  });

  it('hashMedia reports the precise 256-bit hash', async () => {
    const h = await hashMedia(fixture('blockhash/stoplights.jpg'));
    expect(h.blockhash).toBe(CASES[5]![1]);
  });

  it('gives a 64-bit hash on request, equal to blockhash-core', async () => {
    const decoded = await decodeImage(fixture('blockhash/clipper_ship.jpg'), defaultDecodeLimits);
    const h64 = blockhash(decoded.pixels, 8);
    expect(h64).toHaveLength(16);
    expect(h64).toBe(bmvbhash({ ...decoded.pixels }, 8));
  });

  it('refuses pixels without alpha and odd grids', () => {
    const rgb = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, channels: 3 };
    expect(() => blockhash(rgb)).toThrow(RangeError);
    const rgba = { data: new Uint8Array(16 * 16 * 4), width: 16, height: 16, channels: 4 };
    expect(() => blockhash(rgba, 7)).toThrow(RangeError);
  });
});
