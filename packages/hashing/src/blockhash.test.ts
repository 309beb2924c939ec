import { bmvbhash, bmvbhashEven } from 'blockhash-core';
import { describe, expect, it } from 'vitest';
import { blockhash, blockhashAccumulator, BlockhashMethod } from './blockhash.js';
import { decodeImage } from './decode.js';
import { fixture } from './fixtures.test-helper.js';
import { noise } from './hostile-corpus.test-helper.js';
import { hashMedia } from './hash-media.js';
import { defaultDecodeLimits } from './limits.js';
import { pdqHashesFromRaw } from './pdq.js';

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
    expect(h64).toBe(bmvbhash(toRgba(decoded.pixels), 8));
  });

  it('refuses pixels that are not RGB(A) and odd grids', () => {
    const grey = { data: new Uint8Array(16 * 16), width: 16, height: 16, channels: 1 };
    expect(() => blockhash(grey)).toThrow(RangeError);
    const rgba = { data: new Uint8Array(16 * 16 * 4), width: 16, height: 16, channels: 4 };
    expect(() => blockhash(rgba, 7)).toThrow(RangeError);
  });
});

describe('fast blockhash equals blockhash-core', () => {
  it.each(CASES.map((c) => c[0]))('%s: identical for 8×8 and 16×16 grids, both methods', async (file) => {
    const decoded = await decodeImage(fixture(`blockhash/${file}`), defaultDecodeLimits);
    const rgba = toRgba(decoded.pixels);
    for (const bits of [8, 16]) {
      expect(blockhash(decoded.pixels, bits, BlockhashMethod.PRECISE)).toBe(bmvbhash(rgba, bits));
      expect(blockhash(decoded.pixels, bits, BlockhashMethod.QUICK)).toBe(bmvbhashEven(rgba, bits));
    }
  });

  it('is identical on random images of awkward sizes, with transparent pixels, RGB and RGBA', () => {
    const sizes: ReadonlyArray<readonly [number, number]> = [
      [1, 1],
      [15, 17],
      [16, 16],
      [31, 64],
      [100, 75],
      [257, 129],
      [640, 481],
    ];
    let seed = 7;
    for (const [width, height] of sizes) {
      const data = smoothNoisyRgba(width, height, seed++, {
        dx: 3,
        dy: 2,
        noiseMask: 15,
        transparentBelow: 20,
        alpha: 255,
      });
      const rgba = { data, width, height, channels: 4 };
      for (const bits of [2, 8, 16, 32]) {
        expect(blockhash(rgba, bits, BlockhashMethod.PRECISE), `${width}×${height} ${bits}`).toBe(
          bmvbhash(rgba, bits),
        );
        expect(blockhash(rgba, bits, BlockhashMethod.QUICK)).toBe(bmvbhashEven(rgba, bits));
      }
      const opaque = { ...rgba, data: data.map((v, k) => (k % 4 === 3 ? 255 : v)) };
      const rgbBytes = data.filter((_, k) => k % 4 !== 3);
      // Also from an unaligned view (the byte-wise path instead of 32-bit words).
      const unaligned = new Uint8Array(rgbBytes.length + 1);
      unaligned.set(rgbBytes, 1);
      for (const rgbData of [rgbBytes, unaligned.subarray(1)]) {
        const rgb = { data: rgbData, width, height, channels: 3 };
        for (const bits of [8, 16]) {
          expect(blockhash(rgb, bits)).toBe(bmvbhash(opaque, bits));
          expect(blockhash(rgb, bits, BlockhashMethod.QUICK)).toBe(bmvbhashEven(opaque, bits));
        }
      }
    }
  });

  it('falls back to blockhash-core for grids that are not powers of two', () => {
    const data = noise(99 * 70 * 4, 3).map((v, k) => (k % 4 === 3 ? 255 : v));
    const rgba = { data, width: 99, height: 70, channels: 4 };
    expect(blockhash(rgba, 12)).toBe(bmvbhash(rgba, 12));
  });
});

/**
 * A smooth random field plus noise, as RGBA bytes, so that block sums are close to each other and to the medians:
 * a ramp of `dx` per column and `dy` per row, plus the low bits (`noiseMask`) of the noise; a pixel whose alpha
 * noise is below `transparentBelow` is transparent, any other has alpha `alpha`.
 */
function smoothNoisyRgba(
  width: number,
  height: number,
  seed: number,
  field: { dx: number; dy: number; noiseMask: number; transparentBelow: number; alpha: number },
): Uint8Array {
  const random = noise(width * height * 4, seed);
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const base = ((p % width) * field.dx + Math.floor(p / width) * field.dy) % 256;
    for (let c = 0; c < 3; c++) data[p * 4 + c] = (base + (random[p * 4 + c]! & field.noiseMask)) & 255;
    data[p * 4 + 3] = random[p * 4 + 3]! < field.transparentBelow ? 0 : field.alpha;
  }
  return data;
}

function toRgba(image: { data: Uint8Array; width: number; height: number; channels: number }): {
  data: Uint8Array;
  width: number;
  height: number;
} {
  if (image.channels === 4) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = image.data[p * 3 + c]!;
    data[p * 4 + 3] = 255;
  }
  return { data, width: image.width, height: image.height };
}

describe('blockhash from the PDQ pass over the pixels', () => {
  it.each(CASES)('%s: hashMedia gives the reference precise hash', async (file, precise) => {
    expect((await hashMedia(fixture(`blockhash/${file}`))).blockhash).toBe(precise);
  });

  it('equals blockhash-core on random RGB and RGBA images, transparent pixels included', () => {
    let seed = 11;
    for (const [width, height] of [
      [3, 3],
      [16, 16],
      [64, 64],
      [97, 61],
      [333, 250],
      // Runs of 1250 px: RGB sums go through 16-bit lanes widened every 2048 bytes (and a tail).
      [20011, 20],
    ] as const) {
      const rgba = smoothNoisyRgba(width, height, seed++, {
        dx: 2,
        dy: 3,
        noiseMask: 31,
        transparentBelow: 30,
        alpha: 200,
      });
      const opaque = rgba.map((v, k) => (k % 4 === 3 ? 255 : v));
      const images = [
        { raw: { data: rgba, width, height, channels: 4 }, reference: rgba },
        {
          raw: { data: opaque.filter((_, k) => k % 4 !== 3), width, height, channels: 3 },
          reference: opaque,
        },
      ];
      for (const { raw, reference } of images) {
        for (const method of [BlockhashMethod.PRECISE, BlockhashMethod.QUICK]) {
          const rows = blockhashAccumulator(width, height, 16, method)!;
          pdqHashesFromRaw(raw, { rowSums: rows });
          const core = { data: reference, width, height };
          const expected = method === BlockhashMethod.PRECISE ? bmvbhash(core, 16) : bmvbhashEven(core, 16);
          expect(rows.finish(), `${width}×${height}×${raw.channels} ${method}`).toBe(expected);
        }
      }
    }
  });
});
