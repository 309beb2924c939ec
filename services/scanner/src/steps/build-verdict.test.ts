import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Codecs, type MediaEvent } from '@mod/contracts';
import { hashMedia } from '@mod/hashing/decode';
import { buildVerdict } from './build-verdict.js';

// Meta's 1600×1004 "bridge" photo: with a reduced decode allowed down to 64 px it is taken at 1/4 (400×251).
const photo = readFileSync(
  new URL('../../../../packages/hashing/fixtures/pdq/bridge-mods/aaa-orig.jpg', import.meta.url),
);

const event: MediaEvent = {
  eventId: randomUUID(),
  submissionId: randomUUID(),
  tenantId: 'platform-a',
  source: 'api',
  submittedAt: new Date(0).toISOString(),
};

describe('buildVerdict', () => {
  it('says at which reduction the perceptual hashes were taken, and nothing after a full decode', async () => {
    const reduced = await hashMedia(photo, { reducedDecode: { minSide: 64 } });
    expect(reduced.decodeScale).toBe(4);
    const v = buildVerdict(event, reduced, [], new Date());
    expect(Codecs.verdict.decode(Codecs.verdict.encode(v)).hashes.decodeScale).toBe(4);
    // 1/16, which a 4032×3024 photo gets with a small enough minimum side, was dropped: the verdict claimed a
    // full decode.
    const sixteenth = buildVerdict(event, { ...reduced, decodeScale: 16 }, [], new Date());
    expect(Codecs.verdict.decode(Codecs.verdict.encode(sixteenth)).hashes.decodeScale).toBe(16);

    const full = buildVerdict(event, await hashMedia(photo), [], new Date());
    expect(full.hashes).not.toHaveProperty('decodeScale');
    expect(() => Codecs.verdict.encode(full)).not.toThrow();
  });

  it('refuses a reduction no verdict can carry instead of passing it off as a full decode', async () => {
    const h = await hashMedia(photo);
    expect(() => buildVerdict(event, { ...h, decodeScale: 3 }, [], new Date())).toThrow(/decode scale 3/);
  });
});
