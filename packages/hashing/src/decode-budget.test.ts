import { afterAll, describe, expect, it } from 'vitest';
import { decodedBytes, type ImageHeader } from './decode-budget.js';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
import { interlaced16BitBomb, pngDeclaring, tiffDeclaring } from '@mod/contracts/testing/declared-images';
import { defaultDecodeLimits } from './limits.js';
import { createHashPool, runHashTask } from '@mod/hashing/pool';
import { flatRgbaPng } from './synthetic-photos.test-helper.js';

const TOO_MANY_DECODED_BYTES = 'MOD_ERR_HASH_TOO_MANY_DECODED_BYTES';

const header = (o: Partial<ImageHeader>): ImageHeader => ({
  format: 'png',
  width: 10_000,
  height: 10_000,
  channels: 4,
  bytesPerSample: 2,
  interlaced: true,
  hasAlpha: true,
  ...o,
});

describe('decodedBytes: the decode peak from the header', () => {
  it('counts the output and what the loader keeps whole', () => {
    // The attack: 400 MB of 8-bit RGBA output plus the 800 MB 16-bit image the interlaced PNG loader holds.
    expect(decodedBytes(header({}))).toBe(1_200_000_000);
    expect(decodedBytes(header({ interlaced: false }))).toBe(400_000_000);
    const photo = { format: 'jpeg', width: 4032, height: 3024, channels: 3, bytesPerSample: 1 } as const;
    expect(decodedBytes(header({ ...photo, interlaced: false, hasAlpha: false }))).toBe(4032 * 3024 * 3);
    expect(decodedBytes(header({ ...photo, interlaced: true, hasAlpha: false }))).toBe(4032 * 3024 * 9);
    expect(decodedBytes(header({ format: 'gif', channels: 3, bytesPerSample: 1, hasAlpha: false }))).toBe(
      7e8,
    );
    expect(decodedBytes(header({ format: 'avif', width: 4000, height: 3000 }))).toBe(240_000_000);
    // 16-bit greyscale is read as 16-bit, then clipped into RGB.
    expect(decodedBytes(header({ channels: 1, interlaced: false, hasAlpha: false }))).toBe(500_000_000);
  });

  it('keeps the default budget above every ordinary photo and below the attack', () => {
    const budget = defaultDecodeLimits.maxDecodedBytes;
    const rgb8 = { channels: 3, bytesPerSample: 1, hasAlpha: false, interlaced: false };
    expect(decodedBytes(header({ format: 'jpeg', ...rgb8 }))).toBeLessThanOrEqual(budget); // 100 MP, 300 MB
    const progressive48 = { format: 'jpeg', width: 8000, height: 6000, ...rgb8, interlaced: true } as const;
    expect(decodedBytes(header(progressive48))).toBeLessThanOrEqual(budget);
    expect(decodedBytes(header({}))).toBeGreaterThan(budget);
  });
});

describe('maxDecodedBytes: refused from the header, before any pixel is decoded', () => {
  it('refuses the 10000×10000 16-bit interlaced RGBA PNG (about 1 MB) with its code, not retriable', async () => {
    const attack = await flatRgbaPng(10_000, 10_000, { bits16: true, interlaced: true });
    expect(attack.byteLength).toBeLessThan(defaultDecodeLimits.maxBytes);
    await expect(hashMedia(attack)).rejects.toMatchObject({ code: TOO_MANY_DECODED_BYTES, retriable: false });
  });

  it('refuses a header whose pixels could not even be decoded: the check comes first', async () => {
    const declared = { bitDepth: 16, colourType: 6, interlaced: true } as const;
    await expect(hashMedia(pngDeclaring(10_000, 10_000, declared))).rejects.toMatchObject({
      code: TOO_MANY_DECODED_BYTES,
    });
    // The same bytes at a size within the budget reach the decoder, which rejects their pixels.
    await expect(hashMedia(pngDeclaring(100, 100, declared))).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_DECODE_FAILED',
    });
  });

  it('counts every sample a pixel carries: a TIFF of RGB plus 125 extra samples', async () => {
    // Extra samples pass through the decoder: 4000×4000 × 128 samples is 2 GB of output from a 2 MB file (deflated).
    const tiff = { format: 'tiff', width: 4000, height: 4000, bytesPerSample: 1, interlaced: false } as const;
    expect(decodedBytes({ ...tiff, channels: 128, hasAlpha: true, space: 'srgb' })).toBe(4000 * 4000 * 128);
    expect(decodedBytes({ ...tiff, channels: 4, hasAlpha: true, space: 'b-w' })).toBe(4000 * 4000 * 6);
    expect(decodedBytes({ ...tiff, channels: 5, hasAlpha: true, space: 'cmyk' })).toBe(4000 * 4000 * 4);
    await expect(hashMedia(tiffDeclaring(4000, 4000, { samplesPerPixel: 128 }))).rejects.toMatchObject({
      code: TOO_MANY_DECODED_BYTES,
    });
  });

  it('counts the planes a TIFF stored plane by plane is read with', async () => {
    // 10000×10000 16-bit RGBA, one strip per plane: 400 MB of output and the 800 MB of planes the loader holds (a
    // 0.8 MB deflated file took 1.34 GB); interleaved, the same samples stream.
    const declared = { samplesPerPixel: 4, bits: 16 } as const;
    await expect(
      hashMedia(tiffDeclaring(10_000, 10_000, { ...declared, planar: true })),
    ).rejects.toMatchObject({
      code: TOO_MANY_DECODED_BYTES,
    });
    await expect(hashMedia(tiffDeclaring(10_000, 10_000, declared))).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_DECODE_FAILED',
    });
  });

  it('takes what fits the budget: the same image non-interlaced, and ordinary photos', async () => {
    const interlaced = await flatRgbaPng(1000, 1000, { bits16: true, interlaced: true });
    const plain = await flatRgbaPng(1000, 1000, { bits16: true, interlaced: false });
    // 1000² RGBA: 4 MB out, plus 8 MB the interlaced loader holds at 16 bits.
    const limits = { maxDecodedBytes: 10_000_000 };
    await expect(hashMedia(interlaced, { limits })).rejects.toMatchObject({ code: TOO_MANY_DECODED_BYTES });
    const hashed = await hashMedia(plain, { limits });
    expect(hashed.pdq).toBe((await hashMedia(interlaced)).pdq);
    expect((await hashMedia(fixture('pdq/labelme/q0003.jpg'))).format).toBe('jpeg');
  });

  it('rejects a budget that is not a positive integer', async () => {
    await expect(
      hashMedia(fixture('pdq/labelme/q0003.jpg'), { limits: { maxDecodedBytes: 0 } }),
    ).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_INVALID_OPTIONS',
    });
  });
});

describe('maxDecodedBytes in the worker pool', () => {
  const pool = createHashPool({ maxThreads: 1, maxQueue: 4 });
  afterAll(async () => {
    await pool.destroy();
  });

  it('returns the refusal as data and hashes the next image', async () => {
    expect(await runHashTask(pool, interlaced16BitBomb())).toMatchObject({
      ok: false,
      error: { code: TOO_MANY_DECODED_BYTES, retriable: false },
    });
    expect(await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'))).toMatchObject({ ok: true });
  });
});
