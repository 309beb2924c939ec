import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { apngHidingDefault } from '@mod/contracts/testing/declared-images';
import { fixture } from './fixtures.test-helper.js';
import { hammingDistanceHex } from './hamming.js';
import { hashMedia } from './hash-media.js';
import { PDQ_MATCH_DISTANCE } from './pdq.js';
import { animationOf } from './synthetic-photos.test-helper.js';

const benign = fixture('pdq/pen-and-coaster.png');
const listed = fixture('pdq/bridge-mods/aaa-orig.jpg');
const other = fixture('blockhash/clipper_ship.jpg');
const size = { width: 256, height: 192 };
const stillOf = (f: Uint8Array) =>
  sharp(f).resize(size.width, size.height, { fit: 'fill' }).removeAlpha().png({ palette: false }).toBuffer();
const want = await hashMedia(await stillOf(listed));

describe('multi-frame files: every distinct frame hashed', () => {
  for (const format of ['gif', 'webp'] as const) {
    it(`${format}: a listed frame behind a benign first frame is hashed, with its index`, async () => {
      const anim = await animationOf([benign, other, listed], { format, ...size });
      const h = await hashMedia(anim);
      const first = await hashMedia(anim, { maxHashedFrames: 1 });
      expect(h.frames?.count).toBe(3);
      expect(h.frames?.examined).toBe(3);
      expect(h.frames?.hashed.map((f) => f.index)).toEqual([0, 1, 2]);
      // The file's exact hashes and frame 0's perceptual hashes, as before.
      expect([h.sha256, h.pdq, h.blockhash, h.width, h.height]).toEqual([
        first.sha256,
        first.pdq,
        first.blockhash,
        256,
        192,
      ]);
      const frame0 = { index: 0, pdq: h.pdq, pdqQuality: h.pdqQuality, blockhash: h.blockhash };
      expect(h.frames?.hashed[0]).toEqual(frame0);
      expect(hammingDistanceHex(h.pdq, want.pdq)).toBeGreaterThan(PDQ_MATCH_DISTANCE);
      const frame2 = h.frames!.hashed[2]!;
      expect(hammingDistanceHex(frame2.pdq, want.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
      expect(hammingDistanceHex(frame2.blockhash, want.blockhash)).toBeLessThanOrEqual(10);
      // maxHashedFrames 1: the first frame only, the file reported with the frames it has.
      expect(first.frames).toEqual({ count: 3, examined: 1, hashed: [frame0], unexamined: 'frame-limit' });
    });
  }

  it('stops at maxHashedFrames distinct frames and says how many frames it examined', async () => {
    const anim = await animationOf([benign, other, listed, benign], { format: 'webp', ...size });
    const h = await hashMedia(anim, { maxHashedFrames: 2, dihedral: true, trim: true });
    expect(h.frames).toMatchObject({ count: 4, examined: 2 });
    expect(h.frames?.hashed.map((f) => f.index)).toEqual([0, 1]);
    // Asked for, every frame has its dihedral and trimmed hashes too.
    expect(h.frames?.hashed.every((f) => f.pdqDihedral?.length === 8 && f.pdqTrimmed !== undefined)).toBe(
      true,
    );
  });

  it('decodes an animation in strips that fit maxDecodedBytes, one after the other', async () => {
    const anim = await animationOf([benign, other, listed, other, benign], { format: 'gif', ...size });
    // One 256×192 GIF frame takes 384 KiB to decode (its RGBA output and the loader's frame), each next one 192 KiB.
    const h = await hashMedia(anim, { limits: { maxDecodedBytes: 600_000 } });
    expect(h.frames).toMatchObject({ count: 5, examined: 5 });
    expect(h.frames?.hashed.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    const whole = await hashMedia(anim);
    expect(h.frames).toEqual(whole.frames);
  });

  it('hashes every page of a multi-page TIFF, a page identical to the one before it once', async () => {
    const raws = await Promise.all(
      [benign, benign, listed].map((f) =>
        sharp(f).resize(size.width, size.height, { fit: 'fill' }).removeAlpha().raw().toBuffer(),
      ),
    );
    const raw = { width: size.width, height: size.height * 3, channels: 3 as const, pageHeight: size.height };
    const h = await hashMedia(await sharp(Buffer.concat(raws), { raw }).tiff().toBuffer());
    expect(h.frames).toMatchObject({ count: 3, examined: 3 });
    expect(h.frames?.hashed.map((f) => f.index)).toEqual([0, 2]);
    expect(hammingDistanceHex(h.frames!.hashed[1]!.pdq, want.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
  });

  it('reports an animated PNG as examined up to its first shown frame (libvips decodes no other)', async () => {
    const [a, b] = await Promise.all([stillOf(benign), stillOf(listed)]);
    const apng = apngHidingDefault(a, b);
    const actl = apng.indexOf('acTL');
    apng.writeUInt32BE(2, actl + 4); // it announces a second frame
    apng.writeUInt32BE(crc32(apng.subarray(actl, actl + 12)), actl + 12);
    const h = await hashMedia(apng);
    expect(hammingDistanceHex(h.pdq, want.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
    expect(h.frames).toMatchObject({ count: 2, examined: 1, unexamined: 'no-decoder' });
  });

  it('hashes the first frame alone, one frame examined, when the strip of many large frames runs past the deadline', async () => {
    // 40 frames of 1000×1000: their strip takes seconds to decode, one frame about a tenth of a second.
    const colours = await Promise.all(
      [1, 2, 3].map((s) =>
        sharp({
          create: { width: 8, height: 8, channels: 3, background: { r: 60 * s, g: 200 - 50 * s, b: 30 * s } },
        })
          .png()
          .toBuffer(),
      ),
    );
    const frames = Array.from({ length: 40 }, (_, i) => colours[i % 3]!);
    const anim = await animationOf(frames, { format: 'webp', width: 1000, height: 1000 });
    const alone = await hashMedia(anim, { maxHashedFrames: 1 });
    // The deadline is ten times what one frame takes on this machine now (warm, the fastest of three): the strip
    // of 40 needs four times it, the first frame alone a tenth. A fixed second was no deadline on a fast machine,
    // where the whole strip decoded within it.
    let oneFrameMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await hashMedia(anim, { maxHashedFrames: 1 });
      oneFrameMs = Math.min(oneFrameMs, performance.now() - started);
    }
    const h = await hashMedia(anim, { limits: { timeoutMs: Math.max(50, Math.ceil(10 * oneFrameMs)) } });
    expect(h.frames).toEqual({
      count: 40,
      examined: 1,
      hashed: [alone.frames!.hashed[0]],
      unexamined: 'decode-refused',
    });
    expect([h.pdq, h.blockhash]).toEqual([alone.pdq, alone.blockhash]);
  }, 120_000);

  it('keeps a still image as it was: no frames', async () => {
    expect((await hashMedia(listed)).frames).toBeUndefined();
  });
});
