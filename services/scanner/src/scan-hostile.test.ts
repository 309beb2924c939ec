import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER } from '@mod/contracts';
import { insertSubmission } from '@mod/db/submissions';
import { createHashPool } from '@mod/hashing/pool';
import { flatLosslessWebp, flatRgbaPng, seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import type { ConsumedMessage } from '@mod/kafka';
import { createTestSchema, seedTenants, uploadedMediaMessage, type TestDatabase } from '@mod/testing';
import { hostileScan } from './scan-hostile.test-helper.js';
import { MAX_DECODE_TIMEOUTS } from './steps/content-strikes.js';

// Hostile media, built here with sharp, through the scan step with the real hash pool and the real PostgreSQL store
// (scan-hostile.test-helper.ts): attempts and decodes are counted, never time.

/** A decode budget far below what the slow picture takes on any machine (it takes seconds). */
const DECODE_TIMEOUT_MS = 200;

let db: TestDatabase;
const pool = createHashPool({ maxThreads: 1, maxQueue: 4 });

beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => {
  await pool.destroy();
  await db.drop();
});

const scan = () => hostileScan(db, () => pool, { decodeTimeoutMs: DECODE_TIMEOUT_MS });

/** A lossless WebP of 36 MP: a few kilobytes within every decode limit, whose decode takes seconds. */
const slowPicture = (background: string) => flatLosslessWebp(6000, 6000, background);

describe('scan step: hostile media costs one decode, or two when it hits the time limit', () => {
  it('dead-letters a decompression bomb and a truncated file on their first attempt', async () => {
    // The decompression bomb: a 10000 × 10000 16-bit interlaced PNG, about 1 MB that would take 1.2 GB to decode
    // (refused from its header, before a pixel is decoded); and a photo cut after its first kilobyte.
    const { scanUntilFinal } = scan();
    const bomb = await flatRgbaPng(10_000, 10_000, { bits16: true, interlaced: true, compressionLevel: 9 });
    const photo = await seededPhoto(7, { width: 640, height: 480, ringPeriod: 9, quality: 85 });
    const cases: [Buffer, string][] = [
      [bomb, 'MOD_ERR_HASH_TOO_MANY_DECODED_BYTES'],
      [photo.subarray(0, 1024), 'MOD_ERR_HASH_DECODE_FAILED'],
    ];
    for (const [media, code] of cases) {
      const r = await scanUntilFinal(media);
      expect(r).toMatchObject({ outcome: { kind: 'dlq', code }, attempts: 1, decodes: 1, status: 'failed' });
    }
  });

  it(`dead-letters media past its decode time limit on the ${MAX_DECODE_TIMEOUTS}nd attempt, and the same bytes sent again on the first`, async () => {
    const { scanUntilFinal, attempt, published } = scan();
    const slow = await slowPicture('#336699');
    const first = await scanUntilFinal(slow);
    expect(MAX_DECODE_TIMEOUTS).toBe(2);
    expect(first).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_TIMEOUT' },
      attempts: 2,
      decodes: 2,
      status: 'failed',
    });
    // The same content under a new submission (a partner sending it again, a replay): its first timeout is its
    // content's second, and it costs one decode, not two more.
    const again = await scanUntilFinal(slow);
    expect(again).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_TIMEOUT' },
      attempts: 1,
      decodes: 1,
      status: 'failed',
    });
    // Other content that times out once is still given its second try.
    const other = await slowPicture('#663399');
    expect(await attempt(other, randomUUID())).toMatchObject({ kind: 'retry' });
    expect(published).toEqual([]);
  });
});

// A platform's own topic naming one of its submissions the API took (its digest recorded, its scan not done yet)
// with media that is not that content: empty, past the scanner's size limit, or not an image. The submission must be
// left to its own media's scan, never failed by the other media.

/** A message on platform-1's own media topic naming `submissionId`, its value `value`. */
const partnerMessage = (submissionId: string, value: Buffer): ConsumedMessage => ({
  topic: 'mod.media-submitted.v2.platform-1',
  partition: 0,
  offset: '0',
  key: submissionId,
  value,
  headers: {
    [MEDIA_META_HEADER]: Buffer.from(
      JSON.stringify({ eventId: randomUUID(), submissionId, submittedAt: new Date().toISOString() }),
    ),
  },
  timestamp: Date.now(),
});

const failureOf = async (id: string) =>
  (
    await db.pool.query<{ status: string; failure_code: string | null }>(
      'select status, failure_code from submissions where id = $1',
      [id],
    )
  ).rows[0];

describe("scan step: other media under a platform's submission", () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['past the size limit', Buffer.alloc(5 * 1024 * 1024 + 1, 0xff)],
    ['not an image', Buffer.from('not an image at all, only text'.repeat(10))],
  ])(
    'refuses %s media without failing the submission, which its own media then decides',
    async (_, other) => {
      const media = await seededPhoto(31, { width: 320, height: 240, ringPeriod: 9, quality: 85 });
      const submissionId = randomUUID();
      await insertSubmission(db.pool, {
        id: submissionId,
        tenantId: 'platform-1',
        source: 'api',
        sha256: createHash('sha256').update(media).digest('hex'),
        bytes: media.byteLength,
      });
      const { step } = hostileScan(db, () => pool);
      const refused = await step(partnerMessage(submissionId, other));
      expect(refused).toMatchObject({ kind: 'dlq', code: 'MOD_ERR_SCAN_DIGEST_MISMATCH' });
      expect(await failureOf(submissionId)).toEqual({ status: 'received', failure_code: null });
      const own = uploadedMediaMessage({ topic: 'mod.media-submitted.v2', submissionId, value: media });
      expect(await step(own)).toEqual({ kind: 'ok' });
    },
  );
});
