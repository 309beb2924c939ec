import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hashMedia } from './hash-media.js';
import { hammingDistanceHex } from './hamming.js';
import { flatRgbaPng, seededPhoto } from './synthetic-photos.test-helper.js';

const options = { width: 160, height: 120, ringPeriod: 8, quality: 85 };

describe('seededPhoto', () => {
  it('draws a JPEG of the size asked, the same one for the same seed and options', async () => {
    const photo = await seededPhoto(7, options);
    expect(await sharp(photo).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    expect((await seededPhoto(7, options)).equals(photo)).toBe(true);
    expect((await seededPhoto(7, { ...options, quality: 60 })).equals(photo)).toBe(false);
  });

  it('draws pictures whose PDQ hashes tell seeds apart', async () => {
    const [a, b] = await Promise.all([1, 2].map(async (seed) => hashMedia(await seededPhoto(seed, options))));
    expect(a!.pdqQuality).toBeGreaterThan(50);
    expect(hammingDistanceHex(a!.pdq, b!.pdq)).toBeGreaterThan(64);
  });
});

describe('flatRgbaPng', () => {
  it('writes a PNG of the size, depth and interlacing asked', async () => {
    const bomb = await flatRgbaPng(300, 200, { bits16: true, interlaced: true });
    expect(await sharp(bomb).metadata()).toMatchObject({
      format: 'png',
      width: 300,
      height: 200,
      channels: 4,
      depth: 'ushort',
      isProgressive: true,
    });
    const plain = await flatRgbaPng(300, 200, { bits16: false, interlaced: false, compressionLevel: 9 });
    expect(await sharp(plain).metadata()).toMatchObject({ depth: 'uchar', isProgressive: false });
  });
});
