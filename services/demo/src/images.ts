import sharp from 'sharp';

/**
 * Synthetic photo-like images (gradients, rings and seeded noise). The demo never uses real abusive material:
 * its "known" bank holds hashes of these stand-ins.
 */
export async function syntheticPhoto(seed: number, width = 480, height = 360): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const cx = rand() * width;
  const cy = rand() * height;
  const period = 6 + (seed % 11);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.hypot(x - cx, y - cy);
      raw[i] = (128 + 100 * Math.sin(d / period) + rand() * 20) & 255;
      raw[i + 1] = ((x * 255) / width + rand() * 30) & 255;
      raw[i + 2] = ((y * 255) / height + rand() * 30) & 255;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** The same picture as a platform might re-serve it: resized and re-encoded (different bytes, same content). */
export async function reencoded(image: Buffer): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  return sharp(image)
    .resize(Math.round((meta.width ?? 480) * 0.8))
    .jpeg({ quality: 72 })
    .toBuffer();
}
