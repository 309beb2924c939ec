import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode.js';
import { fixture } from './fixtures.test-helper.js';
import { hashMedia } from './hash-media.js';
import { defaultDecodeLimits } from './limits.js';
import { hammingDistanceHex } from './hamming.js';
import { dct64To16, pdqBitsToHex } from './pdq-dct.js';
import { PDQ_DIHEDRAL_ORDER, pdqDihedralFromDct, transformLuma } from './pdq-dihedral.js';
import { downsampleTo64Js } from './pdq-jarosz.js';
import { lumaFromRaw } from './pdq-luma.js';
import { pdqQuality } from './pdq-quality.js';
import {
  downsampleTo64,
  pdqHashesFromRaw,
  pdqDctFromLuma,
  pdqDihedralFromLuma,
  pdqFromRaw,
  PDQ_ZERO_HASH,
} from './pdq.js';

// Published reference outputs (Meta's PDQ README / python-threatexchange tests), from the issue.
const BRIDGE_1 = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
const BRIDGE_2 = '30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af';

describe('PDQ conformance with the reference implementation', () => {
  it.each([
    ['pdq/dih/bridge-1-original.jpg', BRIDGE_1, 100],
    ['pdq/dih/bridge-2-rotate-90.jpg', BRIDGE_2, 100],
    ['pdq/pytx/LA.png', 'accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715', 100],
    ['pdq/pytx/I16.png', 'de2ef0e99ecdfc1d248a0eb055f023d1d61e79c3920cbb55d561c02accab1763', 36],
    ['pdq/pytx/rgb.jpeg', 'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda', 100],
  ])('%s hashes to the reference value (distance 0)', async (file, expected, quality) => {
    const h = await hashMedia(fixture(file));
    expect(hammingDistanceHex(h.pdq, expected)).toBe(0);
    expect(h.pdq).toBe(expected);
    expect(h.pdqQuality).toBe(quality);
  });

  it('keeps the reference distances between distinct images', async () => {
    const [b1, b2, pen] = await Promise.all([
      hashMedia(fixture('pdq/dih/bridge-1-original.jpg')),
      hashMedia(fixture('pdq/dih/bridge-2-rotate-90.jpg')),
      hashMedia(fixture('pdq/pen-and-coaster.png')),
    ]);
    expect(hammingDistanceHex(b1.pdq, b2.pdq)).toBe(120);
    expect(hammingDistanceHex(b1.pdq, pen.pdq)).toBe(138);
  });

  it('derives from bridge-1 the hashes of its 7 rotated and flipped copies', async () => {
    const files = [
      'bridge-1-original.jpg',
      'bridge-2-rotate-90.jpg',
      'bridge-3-rotate-180.jpg',
      'bridge-4-rotate-270.jpg',
      'bridge-5-flipx.jpg',
      'bridge-6-flipy.jpg',
      'bridge-7-flip-plus-1.jpg',
      'bridge-8-flip-minus-1.jpg',
    ];
    const original = await hashMedia(fixture(`pdq/dih/${files[0]!}`), { dihedral: true });
    const copies = await Promise.all(files.map((f) => hashMedia(fixture(`pdq/dih/${f}`))));
    expect(original.pdqDihedral).toHaveLength(8);
    // The copies were rotated in pixel space and re-encoded as JPEG: the dihedral hashes, computed from the
    // transformed luminance, agree up to that re-encoding (measured 0 2 2 0 0 2 0 2) and stay far from every
    // other orientation.
    copies.forEach((copy, k) => {
      const distances = original.pdqDihedral!.map((d) => hammingDistanceHex(d, copy.pdq));
      expect(distances[k], files[k]).toBeLessThanOrEqual(2);
      distances.forEach((d, other) => {
        if (other !== k) expect(d, `${files[k]!} vs orientation ${other}`).toBeGreaterThan(64);
      });
    });
  });

  it('gives as dihedral hash k exactly the hash of the image transformed in pixel space', async () => {
    const bytes = fixture('pdq/labelme/q0122.jpg');
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const transformed = async (k: number): Promise<string> => {
      // Meta's order; sharp rotates clockwise, the reference's rot90 is counter-clockwise.
      type Step = (s: sharp.Sharp) => sharp.Sharp;
      const steps = (
        [
          [(s) => s],
          [(s) => s.rotate(270)],
          [(s) => s.rotate(180)],
          [(s) => s.rotate(90)],
          [(s) => s.flip()],
          [(s) => s.flop()],
          [(s) => s.rotate(90), (s) => s.flop()],
          [(s) => s.rotate(270), (s) => s.flop()],
        ] satisfies Step[][]
      )[k]!;
      let image = { data, info };
      for (const step of steps) {
        const { width, height, channels } = image.info;
        image = await step(sharp(image.data, { raw: { width, height, channels } }))
          .raw()
          .toBuffer({ resolveWithObject: true });
      }
      const { width, height, channels } = image.info;
      return pdqFromRaw({ data: image.data, width, height, channels }).hash;
    };
    const decoded = await decodeImage(bytes, defaultDecodeLimits);
    const dihedral = pdqDihedralFromLuma(lumaFromRaw(decoded.pixels));
    for (let k = 0; k < 8; k++) expect(dihedral[k], PDQ_DIHEDRAL_ORDER[k]).toBe(await transformed(k));
  });
});

describe('PDQ building blocks', () => {
  it('hashes images smaller than 5 px to zero with quality 0, as the reference does', () => {
    const data = new Uint8Array(4 * 4 * 3).fill(200);
    expect(pdqFromRaw({ data, width: 4, height: 4, channels: 3 })).toEqual({
      hash: PDQ_ZERO_HASH,
      quality: 0,
    });
  });

  it('sets exactly 128 bits for an image with distinct DCT coefficients', async () => {
    const decoded = await decodeImage(fixture('pdq/labelme/q0003.jpg'), defaultDecodeLimits);
    const hash = pdqFromRaw(decoded.pixels).hash;
    let ones = 0;
    for (const c of hash) ones += Number.parseInt(c, 16).toString(2).replaceAll('0', '').length;
    expect(ones).toBe(128);
  });

  it('gives a flat image quality 0', () => {
    const data = new Uint8Array(100 * 80 * 3).fill(90);
    expect(pdqFromRaw({ data, width: 100, height: 80, channels: 3 }).quality).toBe(0);
  });

  it('dihedral hash 0 is the plain hash', async () => {
    const decoded = await decodeImage(fixture('pdq/labelme/q0004.jpg'), defaultDecodeLimits);
    const dct = pdqDctFromLuma(lumaFromRaw(decoded.pixels))!;
    expect(pdqDihedralFromDct(dct.dct)[0]).toBe(pdqBitsToHex(dct.dct));
  });

  it('measures Hamming distance over hex strings', () => {
    expect(hammingDistanceHex('00ff', '0f0f')).toBe(8);
    expect(hammingDistanceHex(BRIDGE_1, BRIDGE_1)).toBe(0);
    expect(() => hammingDistanceHex('00', '000')).toThrow(RangeError);
  });
});

/**
 * The reference's Jarosz filter and decimation written plainly (pdqhashing.cpp `box1DFloat`, `jaroszFilterFloat`,
 * `decimateFloat`): one strided pass per row and per column, float32 after every operation (`round`), a true
 * division. With `round` the identity, the same filter in float64: as good as exact at this size.
 */
function plainDownsample(
  luma: Float32Array,
  width: number,
  height: number,
  round: (x: number) => number = Math.fround,
): Float64Array {
  const box = (
    input: Float64Array,
    output: Float64Array,
    offset: number,
    length: number,
    stride: number,
    window: number,
  ): void => {
    const half = Math.floor((window + 2) / 2);
    let sum = 0;
    let count = 0;
    let li = offset;
    let ri = offset;
    let oi = offset;
    for (let i = 0; i < half - 1; i++, ri += stride) {
      sum = round(sum + input[ri]!);
      count++;
    }
    for (let i = 0; i < window - half + 1; i++, ri += stride, oi += stride) {
      sum = round(sum + input[ri]!);
      count++;
      output[oi] = round(sum / count);
    }
    for (let i = 0; i < length - window; i++, ri += stride, li += stride, oi += stride) {
      sum = round(round(sum + input[ri]!) - input[li]!);
      output[oi] = round(sum / count);
    }
    for (let i = 0; i < half - 1; i++, li += stride, oi += stride) {
      sum = round(sum - input[li]!);
      count--;
      output[oi] = round(sum / count);
    }
  };
  const a = Float64Array.from(luma);
  const b = new Float64Array(a.length);
  const wx = Math.floor((width + 127) / 128);
  const wy = Math.floor((height + 127) / 128);
  for (let rep = 0; rep < 2; rep++) {
    for (let r = 0; r < height; r++) box(a, b, r * width, width, 1, wx);
    for (let c = 0; c < width; c++) box(b, a, c, height, width, wy);
  }
  const out = new Float64Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 64; j++) {
      out[i * 64 + j] =
        a[Math.trunc(((i + 0.5) * height) / 64) * width + Math.trunc(((j + 0.5) * width) / 64)]!;
    }
  }
  return out;
}

/** Largest absolute difference between two 64×64 buffers. */
const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let max = 0;
  for (let k = 0; k < 64 * 64; k++) max = Math.max(max, Math.abs(a[k]! - b[k]!));
  return max;
};

/**
 * The engine (separable weights) against the reference's float32 filter, both measured against the same filter
 * in float64: within 10⁻⁴ of exact (luma spans 0..255) and closer to it than the reference's running float32
 * sums are (those drift by up to 4·10⁻³ on these images), with the reference's hash and quality.
 */
function expectCloseToReference(luma: Float32Array, width: number, height: number): void {
  const fast = downsampleTo64({ luma, width, height });
  const reference = plainDownsample(luma, width, height);
  const exact = plainDownsample(luma, width, height, (x) => x);
  const fastError = maxDifference(fast, exact);
  expect(fastError).toBeLessThanOrEqual(1e-4);
  expect(fastError).toBeLessThanOrEqual(maxDifference(reference, exact));
  expect(pdqBitsToHex(dct64To16(fast))).toBe(pdqBitsToHex(dct64To16(Float32Array.from(reference))));
  expect(pdqQuality(fast)).toBe(pdqQuality(Float32Array.from(reference)));
}

describe('optimised PDQ downsampling', () => {
  it.each([
    [5, 5],
    [37, 53],
    [64, 65],
    [129, 7],
    [255, 256],
    [640, 480],
    [1001, 333],
  ])('matches the plain reference filter on random %i×%i luma', (width, height) => {
    let x = width * 7919 + height;
    const luma = new Float32Array(width * height).map((_, k) => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      // A gradient plus products of 8-bit samples with the luma coefficients, like real luma.
      const ramp = ((k % width) / width) * 128;
      return ramp + Math.fround(0.587) * ((x >> 4) & 63) + Math.fround(0.114) * ((x >> 12) & 255);
    });
    const before = luma.slice();
    expectCloseToReference(luma, width, height);
    expect(luma).toEqual(before);
  });

  it('matches the plain reference filter on real photos', async () => {
    for (const file of ['pdq/dih/bridge-1-original.jpg', 'blockhash/00011601.jpg']) {
      const decoded = await decodeImage(fixture(file), defaultDecodeLimits);
      const { luma, width, height } = lumaFromRaw(decoded.pixels);
      expectCloseToReference(luma, width, height);
    }
  });
});

describe('PDQ from pixels (streamed through the WebAssembly engine)', () => {
  it.each([
    [5, 5, 3],
    [64, 64, 3],
    [64, 64, 4],
    [63, 200, 4],
    [301, 97, 3],
    [520, 390, 3],
  ])(
    'equals the plain JavaScript pipeline on random %i×%i×%i pixels, dihedral hashes included',
    (width, height, channels) => {
      let x = width * 31 + height * 7 + channels;
      const data = new Uint8Array(width * height * channels).map((_, k) => {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        // Smooth gradient plus noise, so the hash depends on every stage.
        const p = Math.floor(k / channels);
        return ((p % width) + Math.floor(p / width) * 2 + ((x >> 16) & 31)) & 255;
      });
      const raw = { data, width, height, channels };
      const fast = pdqHashesFromRaw(raw, { dihedral: true });
      const luma = lumaFromRaw(raw);
      const small = width < 5 || height < 5;
      const plainHash = (image: typeof luma): string => {
        if (small) return PDQ_ZERO_HASH;
        const buffer = image.width === 64 && image.height === 64 ? image.luma : downsampleTo64Js(image);
        return pdqBitsToHex(dct64To16(buffer));
      };
      expect(fast.pdq.hash).toBe(plainHash(luma));
      expect(fast.dihedral).toEqual(PDQ_DIHEDRAL_ORDER.map((_, k) => plainHash(transformLuma(luma, k))));
      expect(pdqHashesFromRaw(raw).pdq).toEqual(fast.pdq);
    },
  );
});
