import sharp from 'sharp';

/**
 * `@mod/vault/testing/preview`: what a preview is, measured, for the tests of previews (the unit tests here and the
 * review flow's end to end). Uses sharp, as `@mod/vault/preview` does.
 */

/**
 * Variance of the 4-neighbour Laplacian of raw pixels (the first channel of each): a standard measure of sharpness
 * (blur lowers it).
 */
function laplacianVariance(data: Buffer, width: number, height: number, channels: number): number {
  const at = (x: number, y: number) => data[(y * width + x) * channels] ?? 0;
  const values: number[] = [];
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++)
      values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4 * at(x, y));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
}

/** The sharpness (`laplacianVariance`) of an encoded image as it decodes. */
export async function sharpnessOf(image: Buffer): Promise<number> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return laplacianVariance(data, info.width, info.height, info.channels);
}

export interface PreviewMeasure {
  width: number;
  height: number;
  /** One channel, or three equal ones (within 2). */
  grey: boolean;
  sharpness: number;
  /** The original's, reduced to the preview's size and made grey. */
  originalSharpness: number;
}

/**
 * What a preview is, measured against its original: its size, whether it is grey, and its sharpness beside the
 * original's reduced to the same size (the blur makes it a fraction).
 */
export async function measurePreview(preview: Buffer, original: Buffer): Promise<PreviewMeasure> {
  const { data, info } = await sharp(preview).raw().toBuffer({ resolveWithObject: true });
  let grey = true;
  if (info.channels >= 3)
    for (let i = 0; i < data.length && grey; i += info.channels)
      grey = Math.abs(data[i]! - data[i + 1]!) <= 2 && Math.abs(data[i]! - data[i + 2]!) <= 2;
  const reference = await sharp(original)
    .resize({ width: info.width, height: info.height, fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    grey,
    sharpness: laplacianVariance(data, info.width, info.height, info.channels),
    originalSharpness: laplacianVariance(reference.data, info.width, info.height, reference.info.channels),
  };
}
