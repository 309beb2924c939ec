import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VaultErrorCode } from './errors.js';
import { measurePreview, sharpnessOf } from './preview-measure.test-helper.js';
import { renderPreview } from './preview.js';

const photo = readFileSync(new URL('../fixtures/clipper_ship.jpg', import.meta.url));

describe('renderPreview', () => {
  it('is smaller, reduced to its longest side, greyscale and blurred (Laplacian variance far below the original)', async () => {
    const source = await sharp(photo).metadata();
    const preview = await renderPreview(photo);
    expect(preview.mediaType).toBe('image/jpeg');
    expect(preview.bytes.length).toBeLessThan(photo.length);
    expect(Math.max(preview.width, preview.height)).toBe(320);
    expect(preview.width / preview.height).toBeCloseTo(source.width / source.height, 1);

    const seen = await measurePreview(preview.bytes, photo);
    expect(seen.grey).toBe(true);
    expect(seen.originalSharpness).toBeGreaterThan(50);
    expect(seen.sharpness).toBeLessThan(seen.originalSharpness / 20);
  });

  it('takes its size, blur and format as options (no blur keeps the detail)', async () => {
    const webp = await renderPreview(photo, { maxSide: 128, format: 'webp', blurSigma: 2 });
    expect(webp.mediaType).toBe('image/webp');
    expect((await sharp(webp.bytes).metadata()).format).toBe('webp');
    expect(Math.max(webp.width, webp.height)).toBe(128);
    const plain = await renderPreview(photo, { blurSigma: 0, maxSide: 200 });
    const soft = await renderPreview(photo, { blurSigma: 3, maxSide: 200 });
    expect(await sharpnessOf(soft.bytes)).toBeLessThan((await sharpnessOf(plain.bytes)) / 4);
  });

  it('never enlarges, and refuses what it cannot decode or options out of range with a code', async () => {
    const tiny = await sharp(photo).resize(40).jpeg().toBuffer();
    expect((await renderPreview(tiny)).width).toBe(40);
    await expect(renderPreview(Buffer.from('not an image'))).rejects.toMatchObject({
      code: VaultErrorCode.PREVIEW_FAILED,
    });
    await expect(renderPreview(photo, { maxSide: 0 })).rejects.toMatchObject({
      code: VaultErrorCode.PREVIEW_FAILED,
    });
    await expect(renderPreview(photo, { maxInputPixels: 1000 })).rejects.toMatchObject({
      code: VaultErrorCode.PREVIEW_FAILED,
    });
  });
});
