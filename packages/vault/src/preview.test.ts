import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VaultErrorCode } from './errors.js';
import { renderPreview } from './preview.js';

const photo = readFileSync(new URL('../fixtures/clipper_ship.jpg', import.meta.url));

/** Grey pixels of an image at exactly `width` × `height`. */
async function grey(
  bytes: Buffer,
  width: number,
  height: number,
): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(bytes)
    .resize({ width, height, fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

/** Variance of the 4-neighbour Laplacian: a standard measure of sharpness (blur lowers it). */
function laplacianVariance(data: Buffer, width: number, height: number, channels: number): number {
  const at = (x: number, y: number) => data[(y * width + x) * channels] ?? 0;
  const values: number[] = [];
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++)
      values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4 * at(x, y));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
}

describe('renderPreview', () => {
  it('is smaller, reduced to its longest side, greyscale and blurred (Laplacian variance far below the original)', async () => {
    const source = await sharp(photo).metadata();
    const preview = await renderPreview(photo);
    expect(preview.mediaType).toBe('image/jpeg');
    expect(preview.bytes.length).toBeLessThan(photo.length);
    expect(Math.max(preview.width, preview.height)).toBe(320);
    expect(preview.width / preview.height).toBeCloseTo(source.width / source.height, 1);

    const { data, info } = await sharp(preview.bytes).raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    // Greyscale: one channel, or three equal ones.
    if (channels >= 3)
      for (let i = 0; i < data.length; i += channels) {
        expect(Math.abs(data[i]! - data[i + 1]!)).toBeLessThanOrEqual(2);
        expect(Math.abs(data[i]! - data[i + 2]!)).toBeLessThanOrEqual(2);
      }
    const original = await grey(photo, preview.width, preview.height);
    const sharpness = laplacianVariance(original.data, preview.width, preview.height, original.channels);
    const blurred = laplacianVariance(data, preview.width, preview.height, channels);
    expect(sharpness).toBeGreaterThan(50);
    expect(blurred).toBeLessThan(sharpness / 20);
  });

  it('takes its size, blur and format as options (no blur keeps the detail)', async () => {
    const webp = await renderPreview(photo, { maxSide: 128, format: 'webp', blurSigma: 2 });
    expect(webp.mediaType).toBe('image/webp');
    expect((await sharp(webp.bytes).metadata()).format).toBe('webp');
    expect(Math.max(webp.width, webp.height)).toBe(128);
    const plain = await renderPreview(photo, { blurSigma: 0, maxSide: 200 });
    const soft = await renderPreview(photo, { blurSigma: 3, maxSide: 200 });
    const measure = async (b: Buffer) => {
      const r = await sharp(b).raw().toBuffer({ resolveWithObject: true });
      return laplacianVariance(r.data, r.info.width, r.info.height, r.info.channels);
    };
    expect(await measure(soft.bytes)).toBeLessThan((await measure(plain.bytes)) / 4);
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
