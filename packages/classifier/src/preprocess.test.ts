import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegScanCount, MAX_JPEG_SCANS } from '@mod/hashing';
import { flatRgbaPng } from '@mod/hashing/testing/synthetic-photos';
import { apngHidingDefault, interlaced16BitBomb, jpegWithScans, pngDeclaring } from '@mod/testing';
import { ClassifierErrorCode } from './errors.js';
import { decodeWorkingCopy, prepareImage, type DecodeLimits } from './preprocess.js';

const limits: DecodeLimits = {
  maxInputBytes: 64 * 1024 * 1024,
  maxInputPixels: 100_000_000,
  maxDecodedBytes: 512 * 1024 * 1024,
  decodeTimeoutMs: 10_000,
};

/** A JPEG of gaussian noise (photo-like work for the decoder). */
const noisyJpeg = (width: number, height: number) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg()
    .toBuffer();

describe('decoding for the models: the scanner decode budget, checked from the header', () => {
  it('refuses a 1 MB 16-bit interlaced RGBA PNG of 10000×10000 (1.2 GB to decode), generated here', async () => {
    const attack = await flatRgbaPng(10_000, 10_000, { bits16: true, interlaced: true });
    const refused = { code: ClassifierErrorCode.TOO_MANY_DECODED_BYTES, retriable: false };
    await expect(prepareImage(attack, 224, undefined, limits)).rejects.toMatchObject(refused);
    await expect(decodeWorkingCopy(attack, 1024, limits)).rejects.toMatchObject(refused);
  });

  it('refuses it before decoding: a header whose pixels would fail to decode gets the budget code', async () => {
    const code = ClassifierErrorCode.TOO_MANY_DECODED_BYTES;
    await expect(prepareImage(interlaced16BitBomb(), 224, 1024, limits)).rejects.toMatchObject({ code });
    await expect(decodeWorkingCopy(interlaced16BitBomb(), 1024, limits)).rejects.toMatchObject({ code });
    const small = pngDeclaring(100, 100, { bitDepth: 16, colourType: 6, interlaced: true });
    await expect(prepareImage(small, 224, undefined, limits)).rejects.toMatchObject({
      code: ClassifierErrorCode.DECODE,
    });
  });

  it('takes an ordinary photo, and refuses it under a budget below its size', async () => {
    const jpeg = await noisyJpeg(640, 480);
    const prepared = await prepareImage(jpeg, 224, 1024, limits);
    expect([prepared.width, prepared.height, prepared.nsfwRgb.length]).toEqual([640, 480, 224 * 224 * 3]);
    expect((await decodeWorkingCopy(jpeg, 1024, limits)).width).toBe(640);
    await expect(
      prepareImage(jpeg, 224, undefined, { ...limits, maxDecodedBytes: 640 * 480 * 3 - 1 }),
    ).rejects.toMatchObject({ code: ClassifierErrorCode.TOO_MANY_DECODED_BYTES });
  });

  it('refuses formats the scanner refuses (SVG), as undecodable', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expect(prepareImage(svg, 224, undefined, limits)).rejects.toMatchObject({
      code: ClassifierErrorCode.DECODE,
    });
  });

  it('stops waiting when a decode exceeds decodeTimeoutMs, with its code, not retriable', async () => {
    const big = await noisyJpeg(3000, 2000);
    const timeout = { code: ClassifierErrorCode.DECODE_TIMEOUT, retriable: false };
    await expect(prepareImage(big, 224, 1024, { ...limits, decodeTimeoutMs: 1 })).rejects.toMatchObject(
      timeout,
    );
    await expect(decodeWorkingCopy(big, 1024, { ...limits, decodeTimeoutMs: 1 })).rejects.toMatchObject(
      timeout,
    );
  });
});

describe('animated PNG', () => {
  it('classifies the frame viewers show, not a default image left out of the animation', async () => {
    const png = (j: Buffer) => sharp(j).png({ palette: false }).toBuffer();
    const [cover, shown] = await Promise.all([
      png(await noisyJpeg(320, 240)),
      png(await noisyJpeg(320, 240)),
    ]);
    const [want, got] = await Promise.all([
      prepareImage(shown, 224, undefined, limits),
      prepareImage(apngHidingDefault(cover, shown), 224, undefined, limits),
    ]);
    expect(Buffer.from(got.nsfwRgb).equals(Buffer.from(want.nsfwRgb))).toBe(true);
    const bad = apngHidingDefault(cover, shown);
    bad.writeUInt32BE(100_000, bad.indexOf('fcTL') + 8); // the frame's width, beyond the canvas
    await expect(prepareImage(bad, 224, undefined, limits)).rejects.toMatchObject({
      code: ClassifierErrorCode.DECODE,
    });
  });
});

describe('progressive JPEG scans', () => {
  it('refuses a JPEG of more scans than the scanner takes, as undecodable, before decoding', async () => {
    const progressive = await sharp({
      create: { width: 4000, height: 4000, channels: 3, background: '#808' },
    })
      .jpeg({ progressive: true })
      .toBuffer();
    // The count is read from the markers (the scanner's check), so no decoder sees the file.
    const bomb = jpegWithScans(progressive, 12_000);
    expect(jpegScanCount(bomb)).toBeGreaterThan(MAX_JPEG_SCANS);
    await expect(prepareImage(bomb, 224, 1024, limits)).rejects.toMatchObject({
      code: ClassifierErrorCode.DECODE,
      retriable: false,
    });
  });
});
