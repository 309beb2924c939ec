import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getOrder } from '@mod/db/orders';
import { recordVerdict } from '@mod/db/submissions';
import { hashMedia } from '@mod/hashing/decode';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import {
  perceptualLifecycle,
  useImageVerificationWorld,
  verdictTakedownActioned,
} from './image-takedown.test-helper.js';
import { verdictOf } from './verdicts.test-helper.js';

// A takedown of a photo the scanner matched; the platform says it actioned it and serves an animation whose first
// frame is another picture and whose second is the photo (the scanner hashes every distinct frame of a GIF or WebP,
// a hit on any one a match). Loopback HTTP, the real SSRF-safe fetcher, hashing worker pool and PostgreSQL.
const fixture = (name: string) =>
  readFileSync(new URL(`../../../packages/hashing/fixtures/pdq/${name}`, import.meta.url));
const photo = fixture('bridge-mods/aaa-orig.jpg');
const other = fixture('pen-and-coaster.png');
const served: Record<string, Buffer> = {};
const size = { width: 320, height: 240 };
const w = useImageVerificationWorld(
  (path) => {
    const body = served[path];
    return body === undefined ? undefined : { type: 'image/gif', body };
  },
  async () => {
    served['/gif'] = await animationOf([other, photo], { format: 'gif', ...size });
    served['/webp'] = await animationOf([other, photo], { format: 'webp', ...size });
    served['/unrelated'] = await animationOf([other, other], { format: 'gif', ...size });
  },
);

/** A takedown of the photo seen at `path` (its verdict holds the photo's hashes), answered actioned. */
async function takedownActioned(path: string): Promise<string> {
  const { sha256, sha1, md5, pdq, pdqQuality, blockhash } = await hashMedia(photo);
  const submissionId = randomUUID();
  const hashes = { sha256, sha1, md5, pdq, pdqQuality, blockhash };
  await recordVerdict(w.db.pool, verdictOf(submissionId, [], { tenantId: 'plat', hashes }));
  const url = w.site.url(`${path}?${randomBytes(4).toString('hex')}`);
  return verdictTakedownActioned(w.db.pool, w.clock, { url, submissionId, sha256 });
}

describe('verifying a takedown of a photo served again as a frame of an animation', () => {
  it('reopens it when any frame the scanner hashes is the photo, and verifies it when none is', async () => {
    const gif = await takedownActioned('/gif');
    const webp = await takedownActioned('/webp');
    const unrelated = await takedownActioned('/unrelated');
    expect(await perceptualLifecycle(w.db.pool, w.clock, w.hasher).runVerification()).toEqual({
      verified: 1,
      reopened: 2,
    });
    const statusOf = async (id: string) => (await getOrder(w.db.pool, id, { all: true }))?.status;
    expect([await statusOf(gif), await statusOf(webp), await statusOf(unrelated)]).toEqual([
      'reopened',
      'reopened',
      'verified',
    ]);
    const note = (await getOrder(w.db.pool, gif, { all: true }))?.history.at(-1)?.note;
    expect(note).toMatch(/frame 1/);
  });
});
