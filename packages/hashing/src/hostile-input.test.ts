import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { HashingError } from './errors.js';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
import { buildHostileCorpus, gifWithFrames, progressiveWithScans } from './hostile-corpus.test-helper.js';
import { jpegScanCount, MAX_JPEG_SCANS } from './jpeg-scans.js';
import { PDQ_ZERO_HASH } from './pdq.js';
// The pool loads the compiled task file, so the pool comes from the built package (self-reference).
import { createHashPool, runHashTask } from '@mod/hashing/pool';

const corpus = await buildHostileCorpus(
  fixture('pdq/labelme/q0003.jpg'),
  fixture('blockhash/Babylonian.png'),
);

async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    await hashMedia(bytes);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(HashingError);
    return (err as HashingError).code;
  }
}

describe('hostile input: every failure is a typed error with a stable code', () => {
  it.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(c.expect).toContain(await outcome(c.bytes));
  });

  it('hashes a 1×1 image to the zero PDQ hash with quality 0', async () => {
    const h = await hashMedia(corpus.find((c) => c.name === '1×1 png')!.bytes);
    expect(h.pdq).toBe(PDQ_ZERO_HASH);
    expect(h.pdqQuality).toBe(0);
    expect([h.width, h.height]).toEqual([1, 1]);
  });

  it('enforces maxBytes, maxPixels, maxDimension and maxFrames from options', async () => {
    const jpeg = fixture('pdq/labelme/q0003.jpg');
    await expect(hashMedia(jpeg, { limits: { maxBytes: 100 } })).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TOO_LARGE',
    });
    await expect(hashMedia(jpeg, { limits: { maxPixels: 256 * 255 } })).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TOO_MANY_PIXELS',
    });
    await expect(hashMedia(jpeg, { limits: { maxDimension: 200 } })).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TOO_MANY_PIXELS',
    });
    await expect(hashMedia(gifWithFrames(11), { limits: { maxFrames: 10 } })).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TOO_MANY_FRAMES',
    });
    expect((await hashMedia(gifWithFrames(10), { limits: { maxFrames: 10 } })).format).toBe('gif');
  });

  it('refuses a JPEG of more scans than MAX_JPEG_SCANS before decoding, and counts only real scans', async () => {
    // 12000 scans of 4000² (466 KB) took 26 s of a core, 16 of them after the decode's deadline had answered.
    // The count is read from the markers, so the refusal comes before any decoder sees the file.
    const bomb = await progressiveWithScans(4000, 12_000);
    expect(jpegScanCount(bomb)).toBeGreaterThan(MAX_JPEG_SCANS);
    await expect(hashMedia(bomb)).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TOO_MANY_SCANS',
      retriable: false,
    });
    const progressive = await progressiveWithScans(256, 0);
    expect(jpegScanCount(progressive)).toBeGreaterThan(1);
    expect(jpegScanCount(progressive)).toBeLessThanOrEqual(MAX_JPEG_SCANS);
    // Start-of-scan markers inside a segment's payload (an EXIF thumbnail's, say) are not scans.
    const app1 = Buffer.concat([
      Buffer.from([0xff, 0xe1, 0x03, 0x22]),
      Buffer.alloc(800, Buffer.from([0xff, 0xda])),
    ]);
    const jpeg = fixture('pdq/labelme/q0003.jpg');
    const padded = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    expect(jpegScanCount(padded)).toBe(jpegScanCount(jpeg));
    expect((await hashMedia(padded)).pdq).toBe((await hashMedia(jpeg)).pdq);
  });

  it('stops waiting when decoding exceeds timeoutMs (retriable)', async () => {
    const big = await sharp({
      create: {
        width: 3000,
        height: 2000,
        channels: 3,
        background: '#000000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    await expect(hashMedia(big, { limits: { timeoutMs: 1 } })).rejects.toMatchObject({
      code: 'MOD_ERR_HASH_TIMEOUT',
      retriable: true,
    });
  });
});

describe('hostile input in the worker pool', () => {
  const pool = createHashPool({ maxThreads: 2, maxQueue: 64 });
  afterAll(async () => {
    await pool.destroy();
  });

  it('returns an outcome for every corpus file and keeps serving afterwards', async () => {
    const outcomes = await Promise.all(corpus.map((c) => runHashTask(pool, c.bytes)));
    outcomes.forEach((out, k) => {
      const code = out.ok ? 'ok' : out.error.code;
      expect(corpus[k]!.expect, corpus[k]!.name).toContain(code);
    });
    const after = await runHashTask(pool, fixture('pdq/pytx/rgb.jpeg'));
    expect(after.ok && after.hashes.pdq).toBe(
      'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda',
    );
  });
});
