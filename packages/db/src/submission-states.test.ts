import { describe, expect, it } from 'vitest';
import {
  getSubmission,
  insertSubmission,
  markSubmissionFailed,
  markSubmissionScanned,
} from './domains/submissions.js';
import { db, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'plat-1': 'platform' });
const ID = '00000000-0000-4000-8000-000000000051';

describe("a submission's state", () => {
  it('once scanned, after a failure (its event replayed from the dead letters), carries no failure code', async () => {
    await insertSubmission(db.pool, {
      id: ID,
      tenantId: 'plat-1',
      source: 'api',
      url: null,
      sha256: null,
      bytes: 1,
    });
    await markSubmissionFailed(db.pool, { id: ID, tenantId: 'plat-1' }, 'MOD_ERR_HASH_TIMEOUT');
    expect(await getSubmission(db.pool, ID, { all: true })).toMatchObject({
      status: 'failed',
      failureCode: 'MOD_ERR_HASH_TIMEOUT',
    });
    await markSubmissionScanned(db.pool, {
      id: ID,
      tenantId: 'plat-1',
      sha256: 'a'.repeat(64),
      decision: 'no-match',
      scannedAt: new Date().toISOString(),
    });
    expect(await getSubmission(db.pool, ID, { all: true })).toMatchObject({
      status: 'scanned',
      decision: 'no-match',
      failureCode: null,
    });
  });
});
