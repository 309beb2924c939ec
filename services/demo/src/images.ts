import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import sharp from 'sharp';

/**
 * Synthetic photo-like images (gradients, rings and seeded noise). The demo never uses real abusive material:
 * its "known" bank holds hashes of these stand-ins.
 */
export function syntheticPhoto(seed: number, width = 480, height = 360): Promise<Buffer> {
  return seededPhoto(seed, { width, height, ringPeriod: 6 + (seed % 11), quality: 88 });
}

/** The same picture as a platform might re-serve it: resized and re-encoded (different bytes, same content). */
export async function reencoded(image: Buffer): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  return sharp(image)
    .resize(Math.round((meta.width ?? 480) * 0.8))
    .jpeg({ quality: 72 })
    .toBuffer();
}
