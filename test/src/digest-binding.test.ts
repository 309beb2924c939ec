import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makePhoto, publishPartnerMedia } from './helpers.js';
import { useTrustScene } from './trust-boundaries-scene.js';

/**
 * A platform names its own submissions, and may send one again. The first media scanned under a submission is its
 * content: other media sent under the same id, however soon after, is refused by the scanner before it is matched,
 * kept as evidence or given a verdict, not left for the actioner to notice once the first verdict is recorded.
 */

const scene = useTrustScene();

describe('other media under a submission a platform named', () => {
  it('is refused by the scanner even when it comes before the first verdict is recorded', async () => {
    const submissionId = randomUUID();
    const [first, other] = await Promise.all([makePhoto(91), makePhoto(92)]);
    await publishPartnerMedia(scene.world, scene.platformA, first, { submissionId });
    await publishPartnerMedia(scene.world, scene.platformA, other, { submissionId });
    const [letter] = await scene.deadLettersFor(submissionId);
    expect(letter?.reason.code).toBe('MOD_ERR_SCAN_DIGEST_MISMATCH');
    expect(letter?.consumer).toBe(`${scene.world.prefix}scanner`);
  });
});
