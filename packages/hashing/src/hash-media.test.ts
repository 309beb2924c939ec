import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { HashingError, HashingErrorCode } from './errors.js';
import { decodeImage, recommendedReducedDecode, reducedJpegScale } from './decode.js';
import { defaultDecodeLimits } from './limits.js';
import { exactHashes } from './exact.js';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
import { hammingDistanceHex } from './hamming.js';
import { PDQ_MATCH_DISTANCE } from './pdq.js';
import { sniffImageFormat } from './sniff.js';
import { tiffDeclaring } from '@mod/contracts/testing/declared-images';

describe('exact hashes', () => {
  it('match the FIPS/RFC test vectors for "abc"', () => {
    expect(exactHashes(new TextEncoder().encode('abc'))).toEqual({
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      md5: '900150983cd24fb0d6963f7d28e17f72',
    });
  });

  it('are computed over the raw file bytes (values from sha256sum/sha1sum/md5sum)', async () => {
    const h = await hashMedia(fixture('pdq/pytx/rgb.jpeg'));
    expect(h.sha256).toBe('fbd288882a131f442b8b28c55949c1fb90fb0cc133f2e3fd09054a853738684b');
    expect(h.sha1).toBe('e7329919612b2d802b30b51fd26d22dc186ece40');
    expect(h.md5).toBe('fb60d450cda9f6682978cb3c89c59c77');
    expect(h.bytes).toBe(fixture('pdq/pytx/rgb.jpeg').byteLength);
    expect(h.format).toBe('jpeg');
  });

  it("take the caller's own SHA-256 of the bytes instead of computing it again, and refuse a malformed one", async () => {
    const bytes = fixture('pdq/pytx/rgb.jpeg');
    // A digest other than the bytes' shows it was taken as given (the scanner passes only one it computed itself).
    const given = 'cd'.repeat(32);
    const h = await hashMedia(bytes, { sha256: given });
    expect(h.sha256).toBe(given);
    expect(h.sha1).toBe('e7329919612b2d802b30b51fd26d22dc186ece40');
    for (const sha256 of ['CD'.repeat(32), 'cd'.repeat(31), ''])
      await expect(hashMedia(bytes, { sha256 })).rejects.toMatchObject({
        code: HashingErrorCode.INVALID_OPTIONS,
      });
  });
});

describe('decoding choices', () => {
  it('reports displayed (EXIF-oriented) size but hashes stored pixels, as the reference tools do', async () => {
    const source = fixture('pdq/labelme/q0122.jpg');
    const pixels = await sharp(source)
      .resize(200, 120, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const encode = (orientation?: number) => {
      const s = sharp(pixels.data, { raw: { width: 200, height: 120, channels: 3 } });
      return (orientation === undefined ? s : s.withMetadata({ orientation }))
        .jpeg({ quality: 95 })
        .toBuffer();
    };
    const [plain, rotated] = await Promise.all([hashMedia(await encode()), hashMedia(await encode(6))]);
    expect([plain.width, plain.height]).toEqual([200, 120]);
    expect([rotated.width, rotated.height]).toEqual([120, 200]);
    expect(rotated.pdq).toBe(plain.pdq);
  });

  it('also hashes the displayed view of a file whose EXIF orientation turns it, though not asked for dihedral', async () => {
    const listed = await sharp(fixture('pdq/labelme/q0122.jpg'))
      .resize(200, 120, { fit: 'fill' })
      .jpeg()
      .toBuffer();
    // The pixels stored turned a quarter anticlockwise, and orientation 6 turning them back: viewers show `listed`.
    const turned = await sharp(listed)
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const displayed = await hashMedia(await sharp(turned).rotate().jpeg({ quality: 95 }).toBuffer());
    const [want, h, plain] = await Promise.all([hashMedia(listed), hashMedia(turned), hashMedia(listed)]);
    expect(hammingDistanceHex(displayed.pdq, want.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
    expect(hammingDistanceHex(h.pdq, want.pdq)).toBeGreaterThan(PDQ_MATCH_DISTANCE); // the stored pixels
    const nearest = Math.min(...(h.pdqDihedral ?? []).map((d) => hammingDistanceHex(d, want.pdq)));
    expect(nearest).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
    expect(plain.pdqDihedral).toBeUndefined(); // orientation 1: only when asked
  });

  it('detects formats by magic bytes', async () => {
    const img = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    expect(sniffImageFormat(await img.clone().png().toBuffer())).toBe('png');
    expect(sniffImageFormat(await img.clone().gif().toBuffer())).toBe('gif');
    expect(sniffImageFormat(await img.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(await img.clone().tiff().toBuffer())).toBe('tiff');
    expect(
      sniffImageFormat(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')),
    ).toBeNull();
  });

  it('hashes greyscale and CMYK saves of one photo close to the RGB original', async () => {
    const original = await hashMedia(fixture('pdq/modes/original.jpg'));
    for (const file of ['L.png', 'CMYK.jpg']) {
      const h = await hashMedia(fixture(`pdq/modes/${file}`));
      expect(hammingDistanceHex(h.pdq, original.pdq), file).toBeLessThanOrEqual(8);
    }
  });

  it('hashes a TIFF with extra samples per pixel as its RGB (and first extra sample as alpha)', async () => {
    const { data, info } = await sharp(fixture('pdq/pytx/rgb.jpeg'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const withSamples = (spp: number): Buffer => {
      const strip = Buffer.alloc(info.width * info.height * spp, 255); // extra samples opaque
      for (let p = 0; p < info.width * info.height; p++) data.copy(strip, p * spp, p * 3, p * 3 + 3);
      return tiffDeclaring(info.width, info.height, { samplesPerPixel: spp, strip });
    };
    const rgb = await hashMedia(withSamples(3));
    for (const spp of [4, 5, 7]) {
      const decoded = await decodeImage(withSamples(spp), defaultDecodeLimits);
      expect(decoded.pixels.channels, `${spp} samples`).toBe(4);
      const h = await hashMedia(withSamples(spp));
      expect([h.pdq, h.blockhash], `${spp} samples`).toEqual([rgb.pdq, rgb.blockhash]);
    }
  });

  it('rejects invalid limits with a typed error', async () => {
    await expect(hashMedia(fixture('pdq/pytx/rgb.jpeg'), { limits: { maxBytes: -1 } })).rejects.toMatchObject(
      {
        code: HashingErrorCode.INVALID_OPTIONS,
      },
    );
  });
});

describe('reduced decode of large JPEGs', () => {
  it('picks the largest of 1/4, 1/8, 1/16 that divides exactly and keeps the shorter side at least minSide', () => {
    const on = recommendedReducedDecode;
    expect(on.minSide).toBe(600);
    expect(reducedJpegScale('jpeg', 4032, 3024, on)).toBe(4);
    expect(reducedJpegScale('jpeg', 8000, 6000, on)).toBe(8);
    expect(reducedJpegScale('jpeg', 16000, 12000, on)).toBe(16);
    expect(reducedJpegScale('jpeg', 4032, 3024, { minSide: 300 })).toBe(8);
    // Never 1/2: through sharp it would decode every pixel and resample them, slower than a full decode.
    expect(reducedJpegScale('jpeg', 4032, 3024, { minSide: 1000 })).toBe(1);
    // Under 2400 px on the shorter side (every conformance image): every pixel.
    expect(reducedJpegScale('jpeg', 2400, 1600, on)).toBe(1);
    expect(reducedJpegScale('jpeg', 2396, 3000, on)).toBe(1);
    // Sizes that do not divide would leave a resampling by other than 2:1: not reduced.
    expect(reducedJpegScale('jpeg', 4034, 3024, on)).toBe(1);
    expect(reducedJpegScale('jpeg', 4036, 3032, on)).toBe(4);
    expect(reducedJpegScale('png', 4032, 3024, on)).toBe(1);
    expect(reducedJpegScale('webp', 4032, 3024, on)).toBe(1);
    expect(reducedJpegScale('jpeg', 4032, 3024, false)).toBe(1);
  });

  it('hashes a real 12 MP photo at 1/4 scale within a few bits of the full decode', async () => {
    const bytes = fixture('pdq/exif-rotn/exif-rotn-1.jpg');
    const decoded = await decodeImage(bytes, defaultDecodeLimits, {
      reducedDecode: recommendedReducedDecode,
    });
    expect([decoded.pixels.width, decoded.pixels.height, decoded.decodeScale]).toEqual([1008, 756, 4]);
    const eighth = await decodeImage(bytes, defaultDecodeLimits, { reducedDecode: { minSide: 300 } });
    expect([eighth.pixels.width, eighth.pixels.height, eighth.decodeScale]).toEqual([504, 378, 8]);
    const full = await hashMedia(bytes);
    const reduced = await hashMedia(bytes, { reducedDecode: recommendedReducedDecode });
    expect(full.decodeScale).toBe(1);
    expect(reduced.decodeScale).toBe(4);
    // Size and exact hashes describe the file, whatever the decode scale.
    expect([reduced.width, reduced.height]).toEqual([full.width, full.height]);
    expect(reduced.sha256).toBe(full.sha256);
    expect(reduced.pdqQuality).toBeGreaterThanOrEqual(50);
    expect(hammingDistanceHex(full.pdq, reduced.pdq)).toBeLessThanOrEqual(6);
    expect(hammingDistanceHex(full.blockhash, reduced.blockhash)).toBeLessThanOrEqual(4);
  });

  it('never reduces a conformance-size photo', async () => {
    const bytes = fixture('pdq/pytx/letterboxed_sample-b.jpg');
    expect((await hashMedia(bytes, { reducedDecode: recommendedReducedDecode })).decodeScale).toBe(1);
  });

  it('rejects a minSide below 64 with a typed error', async () => {
    await expect(
      hashMedia(fixture('pdq/pytx/rgb.jpeg'), { reducedDecode: { minSide: 10 } }),
    ).rejects.toMatchObject({
      code: HashingErrorCode.INVALID_OPTIONS,
    });
  });
});

describe('trimmed PDQ (border removal)', () => {
  it('recovers the original hash from a letterboxed copy', async () => {
    const [original, letterboxed] = await Promise.all([
      hashMedia(fixture('pdq/dih/bridge-1-original.jpg'), { trim: true }),
      hashMedia(fixture('pdq/pytx/letterboxed_sample-b.jpg'), { trim: true }),
    ]);
    expect(original.pdqTrimmed).toBeNull();
    expect(hammingDistanceHex(letterboxed.pdq, original.pdq)).toBeGreaterThan(PDQ_MATCH_DISTANCE);
    expect(letterboxed.pdqTrimmed).not.toBeNull();
    expect(hammingDistanceHex(letterboxed.pdqTrimmed!.pdq, original.pdq)).toBeLessThanOrEqual(8);
  });

  it('recovers the original hash from a copy padded by 20% of white on every side', async () => {
    const source = fixture('pdq/labelme/q0746.jpg');
    const padded = await sharp(source)
      .extend({ top: 51, bottom: 51, left: 51, right: 51, background: '#ffffff' })
      .jpeg({ quality: 90 })
      .toBuffer();
    const [original, copy] = await Promise.all([hashMedia(source), hashMedia(padded, { trim: true })]);
    expect(hammingDistanceHex(copy.pdq, original.pdq)).toBeGreaterThan(PDQ_MATCH_DISTANCE);
    expect(hammingDistanceHex(copy.pdqTrimmed!.pdq, original.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
  });

  it('is not reported unless asked', async () => {
    const h = await hashMedia(fixture('pdq/pytx/letterboxed_sample-b.jpg'));
    expect(h.pdqTrimmed).toBeUndefined();
    expect(h.pdqDihedral).toBeUndefined();
  });

  it('throws HashingError instances', async () => {
    await expect(hashMedia(new Uint8Array(0))).rejects.toBeInstanceOf(HashingError);
  });
});
