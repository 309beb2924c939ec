import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { apngHidingDefault } from '@mod/contracts/testing/declared-images';
import { fixture } from './fixtures.test-helper.js';
import { hammingDistanceHex } from './hamming.js';
import { hashMedia } from './hash-media.js';
import { PDQ_MATCH_DISTANCE } from './pdq.js';

/** An RGB PNG of `file` at 256×192, non-interlaced: both pictures share one IHDR. */
const pngOf = (file: string) =>
  sharp(fixture(file)).resize(256, 192, { fit: 'fill' }).removeAlpha().png({ palette: false }).toBuffer();

describe('animated PNG', () => {
  it('hashes the frame viewers show, not a default image left out of the animation', async () => {
    const [benign, listed] = await Promise.all([
      pngOf('pdq/pen-and-coaster.png'),
      pngOf('pdq/bridge-mods/aaa-orig.jpg'),
    ]);
    const [want, cover, h] = await Promise.all([
      hashMedia(listed),
      hashMedia(benign),
      hashMedia(apngHidingDefault(benign, listed)),
    ]);
    expect(hammingDistanceHex(cover.pdq, want.pdq)).toBeGreaterThan(PDQ_MATCH_DISTANCE);
    expect(hammingDistanceHex(h.pdq, want.pdq)).toBeLessThanOrEqual(PDQ_MATCH_DISTANCE);
    expect([h.format, h.width, h.height]).toEqual(['png', 256, 192]);
  });

  it('refuses a first frame outside the canvas with a typed error', async () => {
    const still = await pngOf('pdq/pen-and-coaster.png');
    const bad = apngHidingDefault(still, still);
    bad.writeUInt32BE(100_000, bad.indexOf('fcTL') + 8); // the frame's width, beyond the canvas
    await expect(hashMedia(bad)).rejects.toMatchObject({ code: 'MOD_ERR_HASH_DECODE_FAILED' });
  });
});
