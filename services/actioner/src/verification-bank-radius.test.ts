import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Hit } from '@mod/contracts';
import { ensureBank } from '@mod/db/banks';
import { getOrder } from '@mod/db/orders';
import { recordVerdict } from '@mod/db/submissions';
import { hashMedia } from '@mod/hashing/decode';
import {
  perceptualLifecycle,
  useImageVerificationWorld,
  verdictTakedownActioned,
} from './image-takedown.test-helper.js';
import { verdictOf } from './verdicts.test-helper.js';

// A takedown of a picture a bank matched by blockhash within its own radius (wider than the matcher's default, 10):
// the platform says it actioned it and goes on serving it. Verification compares the re-fetched picture's blockhash
// within that bank's radius, as the matcher did. Loopback HTTP, the real SSRF-safe fetcher, hasher and PostgreSQL.
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const w = useImageVerificationWorld(() => ({ type: 'image/jpeg', body: photo }));

/** `hex` with its first `bits` bits (a multiple of 4) inverted. */
const flip = (hex: string, bits: number) =>
  [...hex].map((d, i) => (i < bits / 4 ? (15 - parseInt(d, 16)).toString(16) : d)).join('');

/**
 * A takedown of the photo, whose verdict hit a bank of blockhash radius `radius` and stored a blockhash `bits` bits
 * from the photo's (and a PDQ of low quality, which no match reads), answered actioned by the platform.
 */
async function takedownActioned(radius: number, bits: number): Promise<string> {
  const { pdq, blockhash } = await hashMedia(photo);
  const bank = await ensureBank(w.db.pool, {
    name: `radius-${randomBytes(4).toString('hex')}`,
    source: 'test',
    signalTypes: ['blockhash'],
    actionPolicy: 'automatic',
    blockhashThreshold: radius,
  });
  const hit: Hit = {
    bankId: bank.id,
    bankName: bank.name,
    entryId: randomUUID(),
    signal: 'blockhash',
    distance: bits,
    category: null,
    actionPolicy: 'automatic',
    negative: false,
  };
  const submissionId = randomUUID();
  const sha256 = 'cd'.repeat(32);
  const hashes = { sha256, sha1: 'cd'.repeat(20), md5: 'cd'.repeat(16), pdq, pdqQuality: 0 };
  await recordVerdict(
    w.db.pool,
    verdictOf(submissionId, [hit], {
      tenantId: 'plat',
      hashes: { ...hashes, blockhash: flip(blockhash, bits) },
    }),
  );
  const url = w.site.url(`/photo.jpg?${randomBytes(4).toString('hex')}`);
  return verdictTakedownActioned(w.db.pool, w.clock, { url, submissionId, sha256, hits: [hit] });
}

describe('verifying a takedown matched by blockhash, within the radius of the bank it matched', () => {
  it('reopens it within the bank’s radius, wider than the default, and verifies it past it', async () => {
    const within = await takedownActioned(24, 20);
    const beyond = await takedownActioned(10, 20);
    expect(await perceptualLifecycle(w.db.pool, w.clock, w.hasher).runVerification()).toEqual({
      verified: 1,
      reopened: 1,
    });
    expect((await getOrder(w.db.pool, within, { all: true }))?.status).toBe('reopened');
    expect((await getOrder(w.db.pool, beyond, { all: true }))?.status).toBe('verified');
  });
});
