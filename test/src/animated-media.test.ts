import { describe, expect, it } from 'vitest';
import { hashMedia } from '@mod/hashing/decode';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { bankFramePicture, indexedEntries, makePhoto, scanViaKafka, waitFor } from './helpers.js';
import { useTrustScene } from './trust-boundaries-scene.js';

/**
 * An animated GIF whose first frames are unlisted and whose third frame is a listed picture, published by a platform
 * on its own topic: the scanner hashes every frame and the actioner acts on the hit, which names its frame, through
 * the real Kafka and PostgreSQL. Before, only the first frame was hashed and the GIF went unmatched.
 */

const scene = useTrustScene();
const size = { width: 320, height: 240 };

describe('an animated GIF with a listed third frame', () => {
  it('is a match on frame 2: the verdict, and the confirmation case its orders open, name the frame', async () => {
    const { world } = scene;
    const [benign, other, listed] = await Promise.all([makePhoto(61), makePhoto(62), makePhoto(63)]);
    // The bank lists the picture's PDQ (as a curator lists a frame: `modctl hash` prints each frame's).
    const bankId = await bankFramePicture(world, listed, { name: 'frames', actionPolicy: 'automatic', size });
    await waitFor('the scanner to apply the bank', async () => indexedEntries(scene.pipeline) === 2);

    const gif = await animationOf([benign, other, listed], { format: 'gif', ...size });
    const verdict = await scanViaKafka(world, scene.platformA, gif);
    expect(verdict.decision).toBe('match');
    expect(verdict.frames).toEqual({ count: 3, examined: 3, hashed: 3 });
    expect(verdict.hits).toEqual([expect.objectContaining({ bankId, signal: 'pdq', frame: 2 })]);
    expect(verdict.hashes.sha256).toBe((await hashMedia(gif)).sha256);

    const evidence = await waitFor('the confirmation case', async () => {
      const { rows } = await world.db.query<{ evidence: { hits: { frame?: number }[]; frames?: unknown } }>(
        `select evidence from cases where submission_id = $1 and kind = 'confirm'`,
        [verdict.submissionId],
      );
      return rows[0]?.evidence;
    });
    expect(evidence.hits.map((h) => h.frame)).toEqual([2]);
    expect(evidence.frames).toEqual({ count: 3, examined: 3, hashed: 3 });
  });
});
