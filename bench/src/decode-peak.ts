/**
 * Peak memory of one decode, before and after the decode budget (`maxDecodedBytes`): each image is decoded in a
 * fresh child process (peak RSS is per process), by the scanner's path (`hashMedia`) and the classifier's
 * (`prepareImage` for the NSFW model, then `decodeWorkingCopy` for faces, as the service does when its face gate
 * opens). "before" runs with the budget out of the way (1 TiB), "after" with the defaults; the process baseline
 * (sharp loaded, the file read, its header read) is printed apart, and the estimate `decodedBytes` beside it.
 *
 *   pnpm exec tsc -b bench && node bench/dist/decode-peak.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodeLimits, decodeWorkingCopy, prepareImage } from '@mod/classifier';
import type { Sharp } from 'sharp';

type Mode = 'hash' | 'classify';
type Budget = 'baseline' | 'before' | 'after';
const OFF = 2 ** 40;

/** One decode in this process; the baseline loads the same modules and reads the header only. */
async function child(file: string, mode: Mode, budget: Budget): Promise<void> {
  const { default: sharp } = await import('sharp');
  const { decodedBytes, defaultDecodeLimits, imageHeaderOf, sniffImageFormat } = await import('@mod/hashing');
  sharp.concurrency(1); // as in the worker threads
  sharp.cache(false);
  const bytes = readFileSync(file);
  const { hashMedia } = await import('@mod/hashing/decode');
  // The classifier's modules (TensorFlow.js) only where they are measured.
  const classifier: { decodeWorkingCopy?: typeof decodeWorkingCopy; prepareImage?: typeof prepareImage } =
    mode === 'classify' ? await import('@mod/classifier') : {};
  const maxDecodedBytes = budget === 'before' ? OFF : defaultDecodeLimits.maxDecodedBytes;
  const started = performance.now();
  let outcome = 'ok';
  try {
    if (budget === 'baseline') await sharp(bytes).metadata();
    else if (mode === 'hash') await hashMedia(bytes, { limits: { maxDecodedBytes } });
    else {
      const limits: DecodeLimits = {
        maxInputBytes: 64 * 1024 * 1024,
        maxInputPixels: 100_000_000,
        maxDecodedBytes,
        decodeTimeoutMs: 600_000,
      };
      await classifier.prepareImage!(bytes, 224, undefined, limits);
      await classifier.decodeWorkingCopy!(bytes, 1024, limits);
    }
  } catch (err) {
    outcome = (err as { code?: string }).code ?? String(err);
  }
  const ms = Math.round(performance.now() - started);
  const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const meta = await sharp(bytes).metadata();
  const estimate = decodedBytes(imageHeaderOf(meta, sniffImageFormat(bytes)!));
  process.stdout.write(JSON.stringify({ outcome, ms, peakMiB, estimate }));
}

/** The images: the attack, its non-interlaced and 8-bit siblings, and ordinary photos (made in a child process). */
async function images(dir: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  const flat = (w: number, h: number, channels: 3 | 4) =>
    sharp({ create: { width: w, height: h, channels, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } });
  const noise = (w: number, h: number) =>
    sharp({
      create: {
        width: w,
        height: h,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    });
  const made: [string, Sharp][] = [
    [
      '10000² RGBA 16-bit PNG interlaced (the attack)',
      flat(10_000, 10_000, 4).toColourspace('rgb16').png({ progressive: true, compressionLevel: 9 }),
    ],
    ['10000² RGBA 16-bit PNG', flat(10_000, 10_000, 4).toColourspace('rgb16').png({ compressionLevel: 9 })],
    [
      '10000² RGB 8-bit PNG interlaced',
      flat(10_000, 10_000, 3).png({ progressive: true, compressionLevel: 9 }),
    ],
    ['10000² RGB 8-bit PNG', flat(10_000, 10_000, 3).png({ compressionLevel: 9 })],
    ['4032×3024 JPEG (12 MP photo)', noise(4032, 3024).jpeg({ quality: 85 })],
    ['4032×3024 progressive JPEG', noise(4032, 3024).jpeg({ quality: 85, progressive: true })],
    ['8000×6000 JPEG (48 MP)', noise(8000, 6000).jpeg({ quality: 85 })],
    ['4000×3000 AVIF', noise(4000, 3000).avif({ quality: 40, effort: 0 })],
  ];
  for (const [k, [name, pipeline]] of made.entries())
    writeFileSync(join(dir, `${k} ${name}`), await pipeline.toBuffer());
}

async function main(): Promise<void> {
  const [, , role, file, mode, budget] = process.argv;
  // Peak RSS survives fork and exec (Linux keeps the larger of the parent's and the child's), so this process
  // stays small: the images are made, and every decode runs, in children.
  if (role === '--child') return child(file!, mode as Mode, budget as Budget);
  if (role === '--images') return images(file!);
  const dir = mkdtempSync(join(tmpdir(), 'decode-peak-'));
  try {
    const self = fileURLToPath(import.meta.url);
    const run = (file: string, m: Mode, b: Budget) => {
      const r = spawnSync(process.execPath, [self, '--child', file, m, b], { encoding: 'utf8' });
      return JSON.parse(r.stdout) as { outcome: string; ms: number; peakMiB: number; estimate: number };
    };
    spawnSync(process.execPath, [self, '--images', dir], { stdio: 'inherit' });
    console.log(
      'Peak RSS above the process baseline (same modules loaded, header read), one libvips thread.',
    );
    console.log(
      '| image | file | estimate | scanner before | scanner after | classifier before | classifier after |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const entry of readdirSync(dir).sort((a, b) => parseInt(a) - parseInt(b))) {
      const file = join(dir, entry);
      const name = entry.replace(/^\d+ /, '');
      const bytes = statSync(file).size;
      const hashBase = run(file, 'hash', 'baseline');
      const estimate = hashBase.estimate;
      const base = { hash: hashBase.peakMiB, classify: run(file, 'classify', 'baseline').peakMiB };
      const cell = (m: Mode, b: Budget) => {
        const r = run(file, m, b);
        const refused = r.outcome === 'ok' ? '' : ` (${r.outcome.replace(/^MOD_ERR_/, '')})`;
        return `${Math.max(0, r.peakMiB - base[m])} MiB, ${r.ms} ms${refused}`;
      };
      const row = [
        name,
        `${(bytes / 2 ** 20).toFixed(1)} MiB`,
        `${Math.round(estimate / 2 ** 20)} MiB`,
        cell('hash', 'before'),
        cell('hash', 'after'),
        cell('classify', 'before'),
        cell('classify', 'after'),
      ];
      console.log(`| ${row.join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
