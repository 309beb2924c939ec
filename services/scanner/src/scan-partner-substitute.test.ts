import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER } from '@mod/contracts';
import { insertSubmission } from '@mod/db/submissions';
import { createHashPool } from '@mod/hashing/pool';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import type { ConsumedMessage } from '@mod/kafka';
import { createTestSchema, seedTenants, uploadedMediaMessage, type TestDatabase } from '@mod/testing';
import { hostileScan } from './scan-hostile.test-helper.js';

// A platform's own topic naming one of its submissions the API took (its digest recorded, its scan not done yet)
// with media that is not that content: empty, past the scanner's size limit, or not an image. The real store and
// hash pool: the submission must be left to its own media's scan, never failed by the other media.

let db: TestDatabase;
const pool = createHashPool({ maxThreads: 1 });
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => {
  await pool.destroy();
  await db.drop();
});

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
