import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hashMedia } from './hash-media.js';
import { hammingDistanceHex } from './hamming.js';
import { seededPhoto } from './synthetic-photos.js';

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
