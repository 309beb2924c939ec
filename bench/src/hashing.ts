/**
 * Hashing benchmark: decode alone (the baseline) vs decode + all hashes (exact, PDQ, blockhash) on generated
 * photo-like JPEGs at 640×480, 1280×960 and 4032×3024, single thread (images/s per core), the ratio; PDQ alone
 * per megapixel from decoded pixels (WebAssembly kernels vs the plain JavaScript filter, measured in the same
 * run), blockhash, exact hashes, peak RSS; the opt-in reduced decode of large JPEGs (`recommendedReducedDecode`)
 * against full decode, and its hash drift on a real 12 MP photo, generated ones and enlarged bridge-mods; how
 * often the engine's PDQ differs from the plain reference transcription. Each figure is the best of 3 rounds;
 * the rounds of decode alone and of decode + all hashes alternate so that their ratio is measured under the
 * same load (the machine is shared).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import {
  blockhash,
  blockhashAccumulator,
  BlockhashMethod,
  dct64To16,
  defaultDecodeLimits,
  downsampleTo64Js,
  exactHashes,
  hammingDistanceHex,
  lumaFromRaw,
  pdqBitsToHex,
  pdqFromRaw,
  pdqHashesFromRaw,
} from '@mod/hashing';
import { decodeImage, hashMedia, recommendedReducedDecode, type ReducedDecode } from '@mod/hashing/decode';
import { animationOf, seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import { PdqAgreement } from './pdq-reference.js';
import { photoLikeSvg } from './photo-like.js';

sharp.concurrency(1);

/** The opt-in reduced decode (the scanner's HASH_REDUCED_DECODE_MIN_SIDE); HASH_BENCH_MIN_SIDE tries another. */
const REDUCED = { minSide: Number(process.env.HASH_BENCH_MIN_SIDE ?? recommendedReducedDecode.minSide) };
sharp.cache(false);

/** Photo-like content (`photoLikeSvg`) with texture noise, blurred a little, as a JPEG q85. */
async function photoLike(width: number, height: number, seed: number): Promise<Buffer> {
  const svg = photoLikeSvg(width, height, seed);
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

/** Mean time per call, best of `rounds` rounds of at least `minMs` each (after a warm-up). */
async function timeEach(
  files: Buffer[],
  minMs: number,
  fn: (b: Buffer) => Promise<unknown>,
  rounds = 3,
): Promise<number> {
  for (const f of files.slice(0, 2)) await fn(f); // warm-up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) {
      await fn(files[n % files.length]!);
      n++;
    }
    best = Math.min(best, (performance.now() - start) / n);
  }
  return best;
}

/**
 * `timeEach` for two functions with their rounds alternating (A, B, A, B, …), so that both see the same
 * machine load; each keeps its best round. (Alternating image by image would move A's garbage collection
 * into B's time and flatter the ratio.)
 */
async function timePair(
  files: Buffer[],
  minMs: number,
  a: (b: Buffer) => Promise<unknown>,
  b: (b: Buffer) => Promise<unknown>,
  rounds = 3,
): Promise<[number, number]> {
  let bestA = Infinity;
  let bestB = Infinity;
  for (let r = 0; r < rounds; r++) {
    bestA = Math.min(bestA, await timeEach(files, minMs, a, 1));
    bestB = Math.min(bestB, await timeEach(files, minMs, b, 1));
  }
  return [bestA, bestB];
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
  // HASH_BENCH_SIZES=1280x960,4032x3024 measures only some sizes (the drift section always runs).
  const sizes = (process.env['HASH_BENCH_SIZES'] ?? '640x480,1280x960,4032x3024')
    .split(',')
    .map((s) => s.split('x').map(Number) as [number, number]);
  for (const [w, h] of sizes) {
    const files = await Promise.all([1, 2, 3].map((s) => photoLike(w, h, s)));
    const budget = w > 2000 ? 1500 : 700;
    // Decode alone and decode + all hashes in alternating rounds, so that both see the same machine load
    // (the ratio is the figure that matters; the machine is shared).
    const decodeThenHash = (reducedDecode: ReducedDecode | false) =>
      timePair(
        files,
        budget,
        async (b) => {
          await decodeImage(b, defaultDecodeLimits, { reducedDecode });
          sample();
        },
        async (b) => {
          await hashMedia(b, { reducedDecode });
          sample();
        },
      );
    const [decodeMs, allMs] = await decodeThenHash(false);
    // The opt-in reduced decode: large JPEGs decoded at a reduced scale (1/4 for 12 MP photos).
    const scale = (await decodeImage(files[0]!, defaultDecodeLimits, { reducedDecode: REDUCED })).decodeScale;
    const [reducedDecodeMs, defaultMs] = scale === 1 ? [decodeMs, allMs] : await decodeThenHash(REDUCED);
    const dihTrimMs = await timeEach(files, budget, async (b) => {
      await hashMedia(b, { dihedral: true, trim: true, reducedDecode: false });
      sample();
    });
    const decoded = await decodeImage(files[0]!, defaultDecodeLimits, { reducedDecode: false });
    const one = [files[0]!];
    /** The time of one synchronous computation on the first image's decoded pixels. */
    const timeOnce = (fn: () => unknown) => timeEach(one, 400, () => Promise.resolve(fn()));
    const pdqMs = await timeOnce(() => pdqFromRaw(decoded.pixels));
    const dihedralMs = await timeOnce(() => pdqHashesFromRaw(decoded.pixels, { dihedral: true }));
    // Baseline: the same exact computation in plain JavaScript (luma, then the Jarosz filter with Math.fround).
    const jsMs = await timeOnce(() => pdqBitsToHex(dct64To16(downsampleTo64Js(lumaFromRaw(decoded.pixels)))));
    for (const file of files) {
      agreement.record((await decodeImage(file, defaultDecodeLimits, { reducedDecode: false })).pixels);
    }
    const bhMs = await timeOnce(() => blockhash(decoded.pixels));
    // What hashMedia does: blockhash's sums taken from PDQ's pass over the pixels.
    const fusedMs = await timeOnce(() => {
      const rows = blockhashAccumulator(w, h, 16, BlockhashMethod.PRECISE);
      pdqHashesFromRaw(decoded.pixels, rows === null ? {} : { rowSums: rows });
      return rows?.finish();
    });
    const exactMs = await timeOnce(() => exactHashes(files[0]!));
    const mp = (w * h) / 1e6;
    rows.push(
      `${w}×${h} (${mp.toFixed(2)} MP, JPEG ${(files[0]!.length / 1024).toFixed(0)} KiB)\n` +
        `  full decode ${decodeMs.toFixed(1)} ms (${(1000 / decodeMs).toFixed(1)} img/s) | ` +
        `full decode + all hashes ${allMs.toFixed(1)} ms (${(1000 / allMs).toFixed(1)} img/s) | ratio ${(allMs / decodeMs).toFixed(2)} | ` +
        `+ dihedral + trim ${dihTrimMs.toFixed(1)} ms\n` +
        (scale === 1
          ? ''
          : `  reduced decode (JPEG decoded at 1/${scale}): decode ${reducedDecodeMs.toFixed(1)} ms | decode + all hashes ` +
            `${defaultMs.toFixed(1)} ms (${(1000 / defaultMs).toFixed(1)} img/s) | ${(defaultMs / decodeMs).toFixed(2)}x the time of full decode alone\n`) +
        `  PDQ from decoded RGB ${pdqMs.toFixed(2)} ms = ${(pdqMs / mp).toFixed(2)} ms/MP ` +
        `(plain JS ${(jsMs / mp).toFixed(2)} ms/MP, ×${(jsMs / pdqMs).toFixed(1)}) | PDQ + 8 dihedral ${dihedralMs.toFixed(1)} ms | ` +
        `blockhash alone ${bhMs.toFixed(2)} ms\n` +
        `  PDQ + blockhash in one pass (as hashMedia) ${fusedMs.toFixed(2)} ms | md5+sha1+sha256 ${exactMs.toFixed(2)} ms`,
    );
    console.log(rows[rows.length - 1]);
  }
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  await animatedGif();

  await reducedDecodeDrift();
  console.log(
    `\nPDQ engine vs the plain reference transcription, on the ${agreement.images} images above decoded in ` +
      `full: ${agreement.summary()}`,
  );
}

/**
 * An animated GIF of `HASH_BENCH_GIF_FRAMES` (default 64) distinct 480×270 frames: `hashMedia` hashing every frame
 * (the default bound, 128, takes them all) against the first frame only (`maxHashedFrames: 1`, the cost before
 * frames were hashed), and the cost per frame.
 */
async function animatedGif(): Promise<void> {
  const n = Number(process.env['HASH_BENCH_GIF_FRAMES'] ?? 64);
  const size = { width: 480, height: 270 };
  const frames = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      seededPhoto(i + 1, { ...size, ringPeriod: 9 + (i % 7), quality: 90 }),
    ),
  );
  const gif = await animationOf(frames, { format: 'gif', ...size });
  const hashed = (await hashMedia(gif)).frames;
  const [firstMs, allMs] = await timePair(
    [gif],
    1500,
    () => hashMedia(gif, { maxHashedFrames: 1 }),
    () => hashMedia(gif),
  );
  console.log(
    `\nanimated GIF, ${n} distinct ${size.width}×${size.height} frames (${(gif.length / 1024).toFixed(0)} KiB): ` +
      `hashMedia, first frame only ${firstMs.toFixed(1)} ms | every frame (${hashed?.hashed.length} hashed of ` +
      `${hashed?.count}) ${allMs.toFixed(1)} ms = ${(allMs / n).toFixed(2)} ms per frame`,
  );
}

/** The engine's PDQ against the reference transcription, on every image the benchmark decodes in full. */
const agreement = new PdqAgreement();

/** Hashes with every pixel decoded vs the reduced decode (large JPEGs), with both times. */
async function compareReduced(
  bytes: Buffer,
): Promise<{ scale: number; dPdq: number; dBh: number; fullMs: number; reducedMs: number }> {
  let t = performance.now();
  const full = await hashMedia(bytes, { reducedDecode: false });
  const fullMs = performance.now() - t;
  t = performance.now();
  const reduced = await hashMedia(bytes, { reducedDecode: REDUCED });
  const reducedMs = performance.now() - t;
  return {
    scale: reduced.decodeScale,
    dPdq: hammingDistanceHex(full.pdq, reduced.pdq),
    dBh: hammingDistanceHex(full.blockhash, reduced.blockhash),
    fullMs,
    reducedMs,
  };
}

/**
 * Drift of the opt-in reduced decode (`REDUCED`) against full decode: a real 12 MP phone photo, generated
 * 12 MP photo-like JPEGs, and the 12 bridge-mods edits enlarged to 4000×2512 (lanczos, JPEG q90) so that they
 * take the reduced path.
 */
async function reducedDecodeDrift(): Promise<void> {
  const fixtures = new URL('../../packages/hashing/fixtures/pdq/', import.meta.url);
  const cases: [string, Buffer][] = [
    ['exif-rotn-1.jpg (real photo)', readFileSync(new URL('exif-rotn/exif-rotn-1.jpg', fixtures))],
  ];
  for (const s of [4, 5, 6]) cases.push([`photo-like #${s}`, await photoLike(4032, 3024, s)]);
  const mods = new URL('bridge-mods/', fixtures);
  for (const name of readdirSync(mods).sort()) {
    const big = await sharp(readFileSync(new URL(name, mods)))
      .resize({ width: 4000, height: 2512, fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer();
    cases.push([`bridge-mods/${name} ×`, big]);
  }
  console.log(
    `\nreduced decode (opt-in, minSide ${REDUCED.minSide}: JPEGs decoded at 1/4, 1/8 or 1/16) vs every pixel decoded:`,
  );
  const pdqDrift: number[] = [];
  const bhDrift: number[] = [];
  let fullMs = 0;
  let reducedMs = 0;
  for (const [name, bytes] of cases) {
    agreement.record((await decodeImage(bytes, defaultDecodeLimits, { reducedDecode: false })).pixels);
    await compareReduced(bytes); // warm-up, then the measured call
    const r = await compareReduced(bytes);
    pdqDrift.push(r.dPdq);
    bhDrift.push(r.dBh);
    fullMs += r.fullMs;
    reducedMs += r.reducedMs;
    console.log(
      `  ${name.padEnd(36)} scale 1/${r.scale}  PDQ drift ${String(r.dPdq).padStart(2)}  blockhash drift ${String(r.dBh).padStart(2)}  ` +
        `hashMedia ${r.fullMs.toFixed(0)} -> ${r.reducedMs.toFixed(0)} ms`,
    );
  }
  const max = (a: number[]) => Math.max(...a);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(
    `  ${cases.length} images: PDQ drift mean ${mean(pdqDrift).toFixed(1)}, max ${max(pdqDrift)} bits; blockhash drift mean ` +
      `${mean(bhDrift).toFixed(1)}, max ${max(bhDrift)} bits; reduced takes ${(reducedMs / fullMs).toFixed(2)}x the time`,
  );
}

await main();
