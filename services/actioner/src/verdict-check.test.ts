import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSubmission, recordScannedVerdict } from '@mod/db/submissions';
import { createTestSchema, seedTenants, type TestDatabase } from '@mod/testing';
import { checkVerdict, VerdictRefusal } from './verdict-check.js';
import { verdictOf } from './verdicts.test-helper.js';

/**
 * The check's first statement on a real PostgreSQL: whether the verdict event was recorded before comes with its
 * submission, in one round trip; a replay is answered 'recorded' before anything is checked.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [
    { id: 'platform-1', kind: 'platform' },
    { id: 'platform-2', kind: 'platform' },
  ]);
});
afterAll(async () => db?.drop());

async function submitted(tenantId = 'platform-1'): Promise<string> {
  const id = randomUUID();
  await insertSubmission(db.pool, { id, tenantId, source: 'kafka', url: null, sha256: null, bytes: 1 });
  return id;
}

describe('checkVerdict', () => {
  it("passes a new verdict on its tenant's submission, with the decision its hits make", async () => {
    const v = verdictOf(await submitted(), []);
    expect(await checkVerdict(db.pool, v)).toEqual({
      ok: true,
      verdict: { ...v, decision: 'no-match' },
      source: 'kafka',
    });
  });

  it('refuses a new verdict on no submission, or on another tenant’s', async () => {
    expect(await checkVerdict(db.pool, verdictOf(randomUUID(), []))).toMatchObject({
      ok: false,
      code: VerdictRefusal.UnknownSubmission,
    });
    expect(await checkVerdict(db.pool, verdictOf(await submitted('platform-2'), []))).toMatchObject({
      ok: false,
      code: VerdictRefusal.TenantMismatch,
    });
  });

  it('answers a verdict event recorded before "recorded", unchecked: even once its submission is gone', async () => {
    const v = verdictOf(await submitted(), []);
    expect(await recordScannedVerdict(db.pool, v)).toBe(true);
    expect(await checkVerdict(db.pool, v)).toBe('recorded');
    await db.pool.query('delete from submissions where id = $1', [v.submissionId]);
    expect(await checkVerdict(db.pool, v)).toBe('recorded');
    expect(await checkVerdict(db.pool, { ...v, eventId: randomUUID() })).toMatchObject({
      code: VerdictRefusal.UnknownSubmission,
    });
  });

  it('records a clean verdict without hits in its own statement when asked, and never one it refuses', async () => {
    const statements: string[] = [];
    const counted = {
      query: (text: string, values?: unknown[]) => {
        statements.push(/\/\* (\S+) \*\//.exec(text)?.[1] ?? text);
        return db.pool.query(text, values);
      },
    } as unknown as typeof db.pool;
    const v = verdictOf(await submitted(), []);
    const record = { recordWithoutHits: true };
    expect(await checkVerdict(counted, v, record)).toMatchObject({ ok: true, recorded: true });
    expect(statements).toEqual(['actioner:verdict-submission']);
    const row = await db.pool.query(
      `select s.status, s.decision, s.sha256, v.decision as verdict from submissions s
       join verdicts v on v.submission_id = s.id where s.id = $1`,
      [v.submissionId],
    );
    expect(row.rows).toEqual([
      { status: 'scanned', decision: 'no-match', sha256: v.hashes.sha256, verdict: 'no-match' },
    ]);
    expect(await checkVerdict(db.pool, v, record)).toBe('recorded');
    // Refused (another tenant's submission, other content): nothing recorded.
    const others = [
      verdictOf(await submitted('platform-2'), []),
      { ...verdictOf(v.submissionId, []), hashes: { ...v.hashes, sha256: 'ef'.repeat(32) } },
    ];
    for (const other of others) {
      expect(await checkVerdict(db.pool, other, record)).toMatchObject({ ok: false });
      const left = await db.pool.query('select 1 from verdicts where event_id = $1', [other.eventId]);
      expect(left.rowCount).toBe(0);
    }
  });
});
