import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { hashMedia } from '@mod/hashing/decode';
import type { Args } from './e2e-args.js';

/** The images `bench:e2e` publishes: camera-like JPEGs, a share of them re-encoded copies of bank images. */

const cacheDir = join(os.tmpdir(), 'mod-bench-e2e-v2');

/** A seeded scene: a gradient and 40 shapes of random kind, place, size, angle and colour (as SVG). */
function scene(width: number, height: number, seed: number): string {
  let x = seed >>> 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 8; i++) rand();
  const colour = () =>
    `hsl(${Math.floor(rand() * 360)},${30 + Math.floor(rand() * 60)}%,${15 + Math.floor(rand() * 70)}%)`;
  const shapes = Array.from({ length: 40 }, () => {
    const cx = rand() * width;
    const cy = rand() * height;
    const w = (0.03 + rand() * 0.3) * width;
    const h = (0.03 + rand() * 0.3) * height;
    const angle = Math.floor(rand() * 180);
    const fill = `fill="${colour()}" fill-opacity="${(0.5 + rand() * 0.5).toFixed(2)}"`;
    return rand() < 0.5
      ? `<ellipse cx="${cx}" cy="${cy}" rx="${w / 2}" ry="${h / 2}" transform="rotate(${angle} ${cx} ${cy})" ${fill}/>`
      : `<rect x="${cx - w / 2}" y="${cy - h / 2}" width="${w}" height="${h}" transform="rotate(${angle} ${cx} ${cy})" ${fill}/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="${rand()}" y1="0" x2="1" y2="${rand()}"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
}

/** A camera-like 1280x960 JPEG (a random scene plus sensor-like noise), cached on disk across runs. */
async function cameraJpeg(seed: number): Promise<Buffer> {
  const file = join(cacheDir, `${seed}.jpg`);
  try {
    return await readFile(file);
  } catch {
    // not cached yet
  }
  const { data, info } = await sharp(Buffer.from(scene(1280, 960, seed)))
    .raw()
    .toBuffer({ resolveWithObject: true });
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = Math.max(0, Math.min(255, (data[i] ?? 0) + ((s >>> 24) % 25) - 12));
  }
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 85 })
    .toBuffer();
  await writeFile(file, jpeg);
  return jpeg;
}

export interface BenchImages {
  /** One image an event, in publishing order; `known` when it copies a bank image. */
  events: { bytes: Buffer; known: boolean }[];
  /** The bank's images (their copies are the known events). */
  known: Buffer[];
  unmatched: number;
  meanKiB: number;
}

/** The events' images: distinct unmatched photos, and copies (re-encoded) of a few bank images. */
export async function benchImages(args: Pick<Args, 'events' | 'knownShare'>): Promise<BenchImages> {
  await mkdir(cacheDir, { recursive: true });
  const knownCount = Math.max(1, Math.round(args.events * args.knownShare));
  const bankImages = Math.min(60, knownCount);
  const known = await Promise.all(Array.from({ length: bankImages }, (_, i) => cameraJpeg(1_000_000 + i)));
  const copies = await Promise.all(
    known.map((k, i) =>
      sharp(k)
        .jpeg({ quality: 70 + (i % 20) })
        .toBuffer(),
    ),
  );
  const events: { bytes: Buffer; known: boolean }[] = [];
  for (let i = 0; i < args.events; i++) {
    const isKnown = Math.floor((i + 1) * args.knownShare) > Math.floor(i * args.knownShare);
    events.push(
      isKnown
        ? { bytes: copies[i % copies.length]!, known: true }
        : { bytes: await cameraJpeg(i + 1), known: false },
    );
  }
  const unmatched = events.filter((e) => !e.known).length;
  const meanKiB = events.reduce((a, e) => a + e.bytes.length, 0) / events.length / 1024;
  return { events, known, unmatched, meanKiB };
}

/**
 * The baseline in this run: decode + every hash of (up to) 50 of the same images, one at a time in this thread
 * (CPU-ms per image), with the scanner's reduced decode when the run sets it.
 */
export async function hashingBaseline(
  events: readonly { bytes: Buffer }[],
  minSide: number,
): Promise<number> {
  const sample = events.slice(0, Math.min(50, events.length));
  const cpu0 = process.cpuUsage();
  const decode = minSide > 0 ? { reducedDecode: { minSide } } : {};
  for (const e of sample) await hashMedia(e.bytes, decode);
  const cpu1 = process.cpuUsage(cpu0);
  const baselineMs = (cpu1.user + cpu1.system) / 1000 / sample.length;
  return baselineMs;
}
