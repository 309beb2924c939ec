import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WORKER_CRASHES } from '@mod/hashing';
import { createHashPool } from '@mod/hashing/pool';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import { createTestSchema, decodeProcesses, seedTenants, type TestDatabase } from '@mod/testing';
import { hostileScan } from './scan-hostile.test-helper.js';

// Media whose decode ended the scanner process, as the next process meets it: marks left in PostgreSQL by
// processes of the same instance that never ended them (as an abort leaves them; decode-abort.test.ts in test/
// aborts real scanner processes), the scan step with the real hash pool and store.

let db: TestDatabase;
let processes: ReturnType<typeof decodeProcesses>;
const pool = createHashPool({ maxThreads: 2 });
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
  processes = decodeProcesses(db.pool, 'hash', 'scanner-1');
});
afterAll(async () => {
  await processes.stopAll();
  await pool.destroy();
  await db.drop();
});

const photo = (seed: number) => seededPhoto(seed, { width: 320, height: 240, ringPeriod: 9, quality: 85 });

describe('scan step: media whose decode ended the process', () => {
  it('is hashed alone after one end, neighbours beside it, and its marks forgotten', async () => {
    const [suspect, poisoned, neighbour] = await Promise.all([photo(21), photo(24), photo(22)]);
    await processes.endedWhileDecoding(suspect);
    for (let i = 0; i < MAX_WORKER_CRASHES; i++) await processes.endedWhileDecoding(poisoned);
    const decodeMarks = await processes.start();
    const { scanUntilFinal } = hostileScan(db, () => pool, { decodeMarks });
    const scans = await Promise.all([suspect, poisoned, neighbour].map((m) => scanUntilFinal(m)));
    expect(scans.map((s) => s.outcome)).toMatchObject([
      { kind: 'ok' },
      { kind: 'dlq', code: 'MOD_ERR_HASH_WORKER_CRASHED' },
      { kind: 'ok' },
    ]);
    await decodeMarks.settled();
    const digest = createHash('sha256').update(suspect).digest('hex');
    const left = await db.pool.query(`select 1 from decode_marks where sha256 = $1`, [digest]);
    expect(left.rowCount).toBe(0);
  });

  it(`is failed after ${MAX_WORKER_CRASHES} ends with MOD_ERR_HASH_WORKER_CRASHED, not decoded again`, async () => {
    const poisoned = await photo(23);
    for (let i = 0; i < MAX_WORKER_CRASHES; i++) await processes.endedWhileDecoding(poisoned);
    const { scanUntilFinal } = hostileScan(db, () => pool, { decodeMarks: await processes.start() });
    expect(await scanUntilFinal(poisoned)).toMatchObject({
      outcome: { kind: 'dlq', code: 'MOD_ERR_HASH_WORKER_CRASHED' },
      attempts: 1,
      decodes: 0,
      status: 'failed',
    });
  });
});
