import sharp from 'sharp';
import { interlaced16BitBomb, jpegWithScans, pngDeclaring } from '@mod/contracts/testing/declared-images';
import { pngOfEmptyChunks } from './synthetic-photos.test-helper.js';

/** A GIF with `frames` 1×1 frames (the classic minimal frame, repeated). */
export function gifWithFrames(frames: number): Uint8Array {
  const header = Buffer.from('GIF89a', 'ascii');
  const screen = Buffer.from([1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
  const frame = Buffer.from([
    0x21,
    0xf9,
    0x04,
    0x00,
    0x0a,
    0x00,
    0x00,
    0x00, // graphic control: 100 ms
    0x2c,
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0, // image descriptor 1×1
    0x02,
    0x02,
    0x44,
    0x01,
    0x00, // LZW data
  ]);
  return Buffer.concat([header, screen, ...new Array<Buffer>(frames).fill(frame), Buffer.from([0x3b])]);
}

/** A GIF whose logical screen and frame declare 65535 × 65535. */
export function gifDeclaringHuge(): Uint8Array {
  const g = Buffer.from(gifWithFrames(1));
  g.writeUInt16LE(0xffff, 6);
  g.writeUInt16LE(0xffff, 8);
  g.writeUInt16LE(0xffff, 13 + 8 + 5);
  g.writeUInt16LE(0xffff, 13 + 8 + 7);
  return g;
}

/** A progressive JPEG of `size`² grey followed by `scans` scans of a few bytes each (`jpegWithScans`). */
export async function progressiveWithScans(size: number, scans: number): Promise<Uint8Array> {
  const base = await sharp({ create: { width: size, height: size, channels: 3, background: '#808080' } })
    .jpeg({ progressive: true })
    .toBuffer();
  return jpegWithScans(base, scans);
}

export interface CorpusCase {
  name: string;
  bytes: Uint8Array;
  /** Codes acceptable for this input; `'ok'` means hashing may succeed. */
  expect: readonly string[];
}

/** Deterministic pseudo-random bytes (xorshift32), so that the corpus and the tests are the same on every run. */
export function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Builds the hostile-input corpus from one real JPEG and one real PNG. */
export async function buildHostileCorpus(jpeg: Uint8Array, png: Uint8Array): Promise<CorpusCase[]> {
  const corrupted = Uint8Array.from(jpeg);
  const n = noise(2000, 7);
  for (let i = 0; i < n.length; i++) corrupted[600 + i * 7] = n[i]!;
  const onePixel = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#123456' } })
    .png()
    .toBuffer();
  const strip = await sharp({ create: { width: 20000, height: 2, channels: 3, background: '#777777' } })
    .png()
    .toBuffer();
  const tall = await sharp({ create: { width: 3, height: 20000, channels: 3, background: '#777777' } })
    .png()
    .toBuffer();
  const svg = new TextEncoder().encode(
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">' +
      '<image xlink:href="http://127.0.0.1:9/x.png" width="10" height="10"/></svg>',
  );
  const svgWithXmlDecl = new TextEncoder().encode(`<?xml version="1.0"?>\n${new TextDecoder().decode(svg)}`);
  return [
    { name: 'zero bytes', bytes: new Uint8Array(0), expect: ['MOD_ERR_HASH_EMPTY'] },
    {
      name: 'text',
      bytes: new TextEncoder().encode('hello, not an image'),
      expect: ['MOD_ERR_HASH_UNSUPPORTED_FORMAT'],
    },
    { name: 'svg with external reference', bytes: svg, expect: ['MOD_ERR_HASH_UNSUPPORTED_FORMAT'] },
    { name: 'svg with xml declaration', bytes: svgWithXmlDecl, expect: ['MOD_ERR_HASH_UNSUPPORTED_FORMAT'] },
    {
      name: 'pdf',
      bytes: new TextEncoder().encode('%PDF-1.4\n%âãÏÓ\n'),
      expect: ['MOD_ERR_HASH_UNSUPPORTED_FORMAT'],
    },
    { name: 'random bytes', bytes: noise(4096, 3), expect: ['MOD_ERR_HASH_UNSUPPORTED_FORMAT'] },
    {
      name: 'jpeg magic then noise',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), noise(4096, 5)]),
      expect: ['MOD_ERR_HASH_DECODE_FAILED'],
    },
    {
      name: 'png magic then jpeg body',
      bytes: Buffer.concat([png.subarray(0, 8), jpeg.subarray(3)]),
      expect: ['MOD_ERR_HASH_DECODE_FAILED'],
    },
    { name: 'jpeg magic only', bytes: jpeg.subarray(0, 3), expect: ['MOD_ERR_HASH_DECODE_FAILED'] },
    {
      name: 'jpeg truncated to 60%',
      bytes: jpeg.subarray(0, Math.floor(jpeg.length * 0.6)),
      expect: ['ok', 'MOD_ERR_HASH_DECODE_FAILED'],
    },
    {
      name: 'jpeg truncated after header',
      bytes: jpeg.subarray(0, 700),
      expect: ['ok', 'MOD_ERR_HASH_DECODE_FAILED'],
    },
    { name: 'jpeg corrupted in the middle', bytes: corrupted, expect: ['ok', 'MOD_ERR_HASH_DECODE_FAILED'] },
    {
      name: 'png truncated to 50%',
      bytes: png.subarray(0, Math.floor(png.length / 2)),
      expect: ['ok', 'MOD_ERR_HASH_DECODE_FAILED'],
    },
    {
      name: 'png declaring 100000×100000',
      bytes: pngDeclaring(100_000, 100_000),
      expect: ['MOD_ERR_HASH_TOO_MANY_PIXELS'],
    },
    {
      name: 'png declaring 10000×10000 16-bit RGBA interlaced (1.2 GB to decode)',
      bytes: interlaced16BitBomb(),
      expect: ['MOD_ERR_HASH_TOO_MANY_DECODED_BYTES'],
    },
    {
      name: 'png declaring 2^31-1 × 1',
      bytes: pngDeclaring(0x7fffffff, 1),
      expect: ['MOD_ERR_HASH_TOO_MANY_PIXELS', 'MOD_ERR_HASH_DECODE_FAILED'],
    },
    {
      name: 'gif declaring 65535×65535',
      bytes: gifDeclaringHuge(),
      expect: ['MOD_ERR_HASH_TOO_MANY_PIXELS', 'MOD_ERR_HASH_DECODE_FAILED'],
    },
    { name: 'gif with 5000 frames', bytes: gifWithFrames(5000), expect: ['MOD_ERR_HASH_TOO_MANY_FRAMES'] },
    {
      name: 'progressive jpeg with 2000 scans more',
      bytes: await progressiveWithScans(2000, 2000),
      expect: ['MOD_ERR_HASH_TOO_MANY_SCANS'],
    },
    {
      name: 'png of 400,000 empty chunks (4.8 MB)',
      bytes: await pngOfEmptyChunks(400_000),
      expect: ['MOD_ERR_HASH_TOO_MANY_CHUNKS'],
    },
    { name: '1×1 png', bytes: onePixel, expect: ['ok'] },
    { name: '20000×2 strip', bytes: strip, expect: ['ok'] },
    { name: '3×20000 strip', bytes: tall, expect: ['ok'] },
  ];
}
