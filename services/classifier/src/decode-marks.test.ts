import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WORKER_CRASHES } from '@mod/hashing';
import { Histogram } from '@mod/telemetry';
import { createTestSchema, decodeProcesses, type TestDatabase } from '@mod/testing';
import { scannedMediaStep, useTestClassifiers } from './scanned-media.test-helper.js';

// Media whose decode ended the classifier process (its marks left in PostgreSQL by processes that never ended
// them, as an abort leaves them: decode-abort.test.ts in test/ aborts real scanner processes), met by the next
// process: the real classifier, models and PostgreSQL.

// Two pictures: the classifier caches results by SHA-256, and a cached content is never decoded again anyway.
const sea = readFileSync(new URL('../../../packages/classifier/fixtures/sea.jpg', import.meta.url));
const ship = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));

let db: TestDatabase;
let processes: ReturnType<typeof decodeProcesses>;
beforeAll(async () => {
  db = await createTestSchema();
  processes = decodeProcesses(db.pool, 'classify', 'classifier-1');
});
afterAll(async () => {
  await processes.stopAll();
  await db.drop();
});

const classifier = useTestClassifiers('classifier-decode-marks-test');

describe('classifier: media whose decode ended the process', () => {
  it('is classified (alone) after one end, its marks forgotten', async () => {
    await processes.endedWhileDecoding(sea);
    const decodeMarks = await processes.start();
    const { step, published, scannedMedia } = scannedMediaStep(classifier({ decodeMarks }));
    expect(await step(scannedMedia(sea).message)).toEqual({ kind: 'ok' });
    expect(published).toHaveLength(1);
    await decodeMarks.settled();
    const digest = createHash('sha256').update(sea).digest('hex');
    const left = await db.pool.query(`select 1 from decode_marks where sha256 = $1`, [digest]);
    expect(left.rowCount).toBe(0);
  });

  it(`is dead-lettered after ${MAX_WORKER_CRASHES} ends with MOD_ERR_CLASSIFIER_WORKER_CRASHED, not decoded again`, async () => {
    for (let i = 0; i < MAX_WORKER_CRASHES; i++) await processes.endedWhileDecoding(ship);
    const batches = new Histogram({ name: 'b', help: 'b', buckets: [1, 2], registers: [] });
    const decodeMarks = await processes.start();
    const { step, published, scannedMedia } = scannedMediaStep(classifier({ decodeMarks, batches }));
    expect(await step(scannedMedia(ship).message)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED',
      message: expect.stringMatching(/process ended 2 times while decoding/) as unknown,
    });
    expect(published).toHaveLength(0);
    // No task ran: the media never reached a worker.
    expect((await batches.get()).values.find((v) => v.metricName === 'b_count')?.value ?? 0).toBe(0);
  });
});
