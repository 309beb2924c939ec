/**
 * Hashing benchmark: decode alone vs decode + all hashes (exact, PDQ, blockhash) on generated photo-like JPEGs
 * at 640×480, 1280×960 and 4032×3024, single thread (images/s per core), the ratio, PDQ alone per megapixel,
 * peak RSS, and the PDQ drift of the shrink-on-load fast path against full decode on the bridge-mods photos.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import {
  blockhash,
  decodeImage,
  defaultDecodeLimits,
  exactHashes,
  hammingDistanceHex,
  hashMedia,
  lumaFromRaw,
  pdqFromLuma,
  pdqFromRaw,
} from '@mod/hashing';

sharp.concurrency(1);
sharp.cache(false);

/** Photo-like content: smooth gradients, shapes and texture noise, blurred a little, as a JPEG q85. */
async function photoLike(width: number, height: number, seed: number): Promise<Buffer> {
  const shapes = Array.from({ length: 12 }, (_, k) => {
    const x = ((seed * 97 + k * 131) % 100) / 100;
    const y = ((seed * 53 + k * 71) % 100) / 100;
    const r = 0.05 + ((seed + k * 17) % 20) / 100;
    const hue = (seed * 40 + k * 33) % 360;
    return `<circle cx="${x * width}" cy="${y * height}" r="${r * Math.min(width, height)}" fill="hsl(${hue},60%,50%)" fill-opacity="0.7"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${seed * 50},50%,70%)"/><stop offset="1" stop-color="hsl(${seed * 50 + 120},40%,25%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
  const base = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000000',
      noise: { type: 'gaussian', mean: 0, sigma: 12 },
    },
  })
    .raw()
    .toBuffer();
  const data = base.data;
  const ch = base.info.channels;
  for (let p = 0, q = 0; p < width * height; p++, q += 3) {
    for (let c = 0; c < 3; c++)
      data[p * ch + c] = Math.min(255, Math.max(0, data[p * ch + c]! + noise[q + c]! - 6));
  }
  return sharp(data, { raw: { width, height, channels: ch } })
    .removeAlpha()
    .blur(0.6)
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function timeEach(
  files: Buffer[],
  minMs: number,
  fn: (b: Buffer) => Promise<unknown>,
): Promise<number> {
  for (const f of files.slice(0, 2)) await fn(f); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    await fn(files[n % files.length]!);
    n++;
  }
  return (performance.now() - start) / n;
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(
    `machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, sharp/libvips ${sharp.versions.vips}`,
  );
  console.log('single thread (sharp.concurrency(1)), images/s per core\n');
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const rows: string[] = [];
  for (const [w, h] of [
    [640, 480],
    [1280, 960],
    [4032, 3024],
  ] as const) {
    const files = await Promise.all([1, 2, 3].map((s) => photoLike(w, h, s)));
    const budget = w > 2000 ? 4000 : 2000;
    const decodeMs = await timeEach(files, budget, async (b) => {
      await decodeImage(b, defaultDecodeLimits);
      sample();
    });
    const allMs = await timeEach(files, budget, async (b) => {
      await hashMedia(b);
      sample();
    });
    const dihTrimMs = await timeEach(files, budget, async (b) => {
      await hashMedia(b, { dihedral: true, trim: true });
      sample();
    });
    const decoded = await decodeImage(files[0]!, defaultDecodeLimits);
    const pdqMs = await timeEach([files[0]!], 1000, () => Promise.resolve(pdqFromRaw(decoded.pixels)));
    const lumaOnly = lumaFromRaw(decoded.pixels);
    const pdqLumaMs = await timeEach([files[0]!], 1000, () =>
      Promise.resolve(pdqFromLuma({ ...lumaOnly, luma: lumaOnly.luma.slice() })),
    );
    const bhMs = await timeEach([files[0]!], 1000, () => Promise.resolve(blockhash(decoded.pixels)));
    const exactMs = await timeEach([files[0]!], 1000, () => Promise.resolve(exactHashes(files[0]!)));
    const mp = (w * h) / 1e6;
    rows.push(
      `${w}×${h} (${mp.toFixed(2)} MP, ${(files[0]!.length / 1024).toFixed(0)} KiB): ` +
        `decode ${decodeMs.toFixed(1)} ms (${(1000 / decodeMs).toFixed(1)} img/s) | ` +
        `decode+all hashes ${allMs.toFixed(1)} ms (${(1000 / allMs).toFixed(1)} img/s), ratio ${(allMs / decodeMs).toFixed(2)} | ` +
        `+dihedral+trim ${dihTrimMs.toFixed(1)} ms | PDQ from RGBA ${pdqMs.toFixed(1)} ms (${(pdqMs / mp).toFixed(2)} ms/MP, from luma ${(pdqLumaMs / mp).toFixed(2)} ms/MP) | ` +
        `blockhash ${bhMs.toFixed(1)} ms | md5+sha1+sha256 ${exactMs.toFixed(2)} ms`,
    );
    console.log(rows[rows.length - 1]);
  }
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);

  // Fast path: JPEG shrink-on-load to 512 px wide versus full decode, on the bridge-mods photos.
  const dir = new URL('../../packages/hashing/fixtures/pdq/bridge-mods/', import.meta.url);
  const drifts: string[] = [];
  let fullMs = 0;
  let fastMs = 0;
  for (const name of readdirSync(dir).sort()) {
    const bytes = readFileSync(new URL(name, dir));
    let t = performance.now();
    const full = pdqFromRaw((await decodeImage(bytes, defaultDecodeLimits)).pixels);
    fullMs += performance.now() - t;
    t = performance.now();
    const fast = pdqFromRaw((await decodeImage(bytes, defaultDecodeLimits, { shrinkToWidth: 512 })).pixels);
    fastMs += performance.now() - t;
    drifts.push(`${name} ${hammingDistanceHex(full.hash, fast.hash)}`);
  }
  console.log(
    `\nshrink-on-load (≤512 px wide) vs full decode, PDQ Hamming drift on bridge-mods: ${drifts.join(', ')}`,
  );
  console.log(
    `  time full ${fullMs.toFixed(0)} ms vs fast ${fastMs.toFixed(0)} ms for ${drifts.length} files (not used by default: hashes must equal the reference)`,
  );
}

await main();
