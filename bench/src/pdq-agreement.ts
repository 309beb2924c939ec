/**
 * PDQ engine (separable weights, WebAssembly) against the plain transcription of Meta's reference filter
 * (`downsampleTo64Js`: float32 running sums, bit-identical to the C++): how many images get a different hash or
 * quality, on the project's real photos (every PDQ and blockhash fixture) each with 10 common edits, and on
 * generated photo-like images of assorted sizes. Prints the machine, the counts and any image that differs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import sharp from 'sharp';
import { defaultDecodeLimits } from '@mod/hashing';
import { decodeImage } from '@mod/hashing/decode';
import { PdqAgreement } from './pdq-reference.js';
import { photoLikeSvg } from './photo-like.js';

sharp.concurrency(1);
sharp.cache(false);

const EDITS: [string, (s: sharp.Sharp) => sharp.Sharp][] = [
  ['original', (s) => s],
  ['width 333', (s) => s.resize({ width: 333 })],
  ['width 777', (s) => s.resize({ width: 777 })],
  ['blur 2', (s) => s.blur(2)],
  ['gamma 2.2', (s) => s.gamma(2.2)],
  ['greyscale', (s) => s.greyscale()],
  ['rotate 90', (s) => s.rotate(90)],
  ['1023×611', (s) => s.resize({ width: 1023, height: 611, fit: 'fill' })],
  ['letterbox 40 px', (s) => s.extend({ top: 40, bottom: 40, background: '#000' })],
  ['brightness 1.2', (s) => s.modulate({ brightness: 1.2 })],
];

/** Photo-like content (`photoLikeSvg`) as a JPEG q85. */
async function photoLike(width: number, height: number, seed: number): Promise<Buffer> {
  return sharp(Buffer.from(photoLikeSvg(width, height, seed)))
    .removeAlpha()
    .jpeg({ quality: 85 })
    .toBuffer();
}

function imageFiles(dir: URL): URL[] {
  const out: URL[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...imageFiles(new URL(`${entry.name}/`, dir)));
    else if (/\.(jpe?g|png)$/i.test(entry.name)) out.push(new URL(entry.name, dir));
  }
  return out;
}

const tally = new PdqAgreement();

async function compare(bytes: Buffer, label: string): Promise<void> {
  const { pixels } = await decodeImage(bytes, defaultDecodeLimits);
  const r = tally.record(pixels);
  if (r.distance !== 0) {
    console.log(`  differs: ${label} (${pixels.width}×${pixels.height}): ${r.distance} bits`);
  }
  if (r.engineQuality !== r.referenceQuality) {
    console.log(`  quality differs: ${label}: ${r.engineQuality} vs ${r.referenceQuality}`);
  }
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`,
  );
  const fixtures = new URL('../../packages/hashing/fixtures/', import.meta.url);
  const files = [...imageFiles(new URL('pdq/', fixtures)), ...imageFiles(new URL('blockhash/', fixtures))];
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const [name, edit] of EDITS) {
      const edited = await edit(sharp(bytes)).jpeg({ quality: 80 }).toBuffer();
      await compare(edited, `${file.pathname.split('/fixtures/')[1]} ${name}`);
    }
  }
  const photos = tally.images;
  for (let seed = 1; seed <= 150; seed++) {
    const width = 200 + ((seed * 37) % 1400);
    const height = 150 + ((seed * 53) % 1100);
    await compare(await photoLike(width, height, seed), `photo-like #${seed}`);
  }
  console.log(
    `${tally.images} images (${files.length} photos × ${EDITS.length} edits = ${photos}, ${tally.images - photos} generated ` +
      `200-1600 px): ${tally.summary()}`,
  );
}

await main();
