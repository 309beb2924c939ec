import type { Verdict } from '@mod/contracts';
import { describe, expect, it } from 'vitest';
import {
  getSubmission,
  insertSubmission,
  markSubmissionFailed,
  recordScannedVerdict,
} from './domains/submissions.js';
import { db, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'plat-1': 'platform', 'plat-2': 'platform' });

const verdictOf = (n: number, over: Partial<Verdict> = {}): Verdict => ({
  eventId: `00000000-0000-4000-8000-0000000001${String(n).padStart(2, '0')}`,
  submissionId: `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`,
  tenantId: 'plat-1',
  sourceEventId: '00000000-0000-4000-8000-000000000199',
  decision: 'no-match',
  hashes: { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32) },
  width: 1,
  height: 1,
  hits: [],
  scannedAt: '2026-12-07T10:00:00.000Z',
  scannerVersion: 'test',
  ...over,
});

async function submission(n: number): Promise<void> {
  const id = verdictOf(n).submissionId;
  await insertSubmission(db.pool, {
    id,
    tenantId: 'plat-1',
    source: 'kafka',
    url: null,
    sha256: null,
    bytes: 1,
  });
}

const stateOf = async (n: number) => getSubmission(db.pool, verdictOf(n).submissionId, { all: true });

describe('recordScannedVerdict (a verdict and its submission scan in one statement)', () => {
  it('records the verdict and the scan: status, decision, time, the digest where none was bound, no failure code', async () => {
    await submission(1);
    await markSubmissionFailed(db.pool, { id: verdictOf(1).submissionId, tenantId: 'plat-1' }, 'MOD_ERR_X');
    expect(await recordScannedVerdict(db.pool, verdictOf(1))).toBe(true);
    expect(await stateOf(1)).toMatchObject({
      status: 'scanned',
      decision: 'no-match',
      sha256: 'a'.repeat(64),
      failureCode: null,
    });
    const { rows } = await db.pool.query<{ decision: string; hits: unknown }>(
      'select decision, hits from verdicts where event_id = $1',
      [verdictOf(1).eventId],
    );
    expect(rows).toEqual([{ decision: 'no-match', hits: [] }]);
  });

  it('a replay of the verdict event answers false and leaves the verdict and the submission as they are', async () => {
    await submission(2);
    expect(await recordScannedVerdict(db.pool, verdictOf(2))).toBe(true);
    await db.pool.query(`update submissions set status = 'received' where id = $1`, [
      verdictOf(2).submissionId,
    ]);
    expect(await recordScannedVerdict(db.pool, verdictOf(2, { decision: 'match' }))).toBe(false);
    expect(await stateOf(2)).toMatchObject({ status: 'received', decision: 'no-match' });
    const { rows } = await db.pool.query('select decision from verdicts where event_id = $1', [
      verdictOf(2).eventId,
    ]);
    expect(rows).toEqual([{ decision: 'no-match' }]);
  });

  it("another tenant's verdict never changes the submission", async () => {
    await submission(3);
    expect(await recordScannedVerdict(db.pool, verdictOf(3, { tenantId: 'plat-2' }))).toBe(true);
    expect(await stateOf(3)).toMatchObject({ status: 'received', decision: null, sha256: null });
  });
});
