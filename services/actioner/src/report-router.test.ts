import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReport, takeFormToken } from '@mod/db/reports';
import { createRegistry, createLogger } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { fileTestReport } from './report-fixtures.test-helper.js';
import { createReportRouter } from './report-router.js';
import { bareSubjectSubmissionId, DEFAULT_ROUTING_TIMINGS } from './report-routing.js';

/**
 * The report router's own duties on a real PostgreSQL (no broker: what it publishes goes through the outbox):
 * a URL the pipeline made nothing of is sent again, then given to a person bare; the public form's expired tokens
 * are forgotten (personal data at the end of its retention: personal-data-retention.test.ts).
 */
let db: TestDatabase;
const t0 = new Date('2026-12-06T08:00:00Z');
const clock = createManualClock(t0);

beforeAll(async () => {
  db = await createTestSchema();
});
afterAll(async () => db?.drop());

const router = () =>
  createReportRouter({
    db: db.pool,
    clock,
    logger: createLogger('report-router-test', 'silent'),
    registry: createRegistry('actioner'),
    urlObservedTopic: 't.mod.url-observed.v1',
    policyVersion: 'test-policy',
    timings: DEFAULT_ROUTING_TIMINGS,
  });

const outboxFor = async (url: string) =>
  (
    await db.pool.query<{ payload: { url: string; purpose: string } }>(
      `select payload from outbox where topic = 't.mod.url-observed.v1' and payload->>'url' = $1`,
      [url],
    )
  ).rows.map((r) => r.payload);

describe('the report router (real PostgreSQL)', () => {
  it('sends a URL the pipeline made nothing of again, then gives it to a person bare, with the report as context', async () => {
    const url = 'https://lost.example/page';
    const { id, subjectId } = await fileTestReport(db.pool, url, clock.now());
    const r = router();
    await r.pass();
    expect(await outboxFor(url)).toEqual([]);
    // Past the reroute delay, twice: the event goes out again each time (the API's relay publishes it).
    for (const attempt of [2, 3]) {
      clock.advance(DEFAULT_ROUTING_TIMINGS.rerouteAfterMs);
      await r.pass();
      expect(await outboxFor(url)).toHaveLength(attempt - 1);
    }
    expect((await outboxFor(url))[0]).toMatchObject({ url, purpose: 'report' });
    // Still nothing after the last attempt: a review case for the bare URL, on a submission of its own.
    clock.advance(DEFAULT_ROUTING_TIMINGS.rerouteAfterMs);
    await r.pass();
    const report = await getReport(db.pool, id, { all: true });
    expect(report?.status).toBe('assessing');
    const [subject] = report!.subjects;
    expect(subject).toMatchObject({
      id: subjectId,
      status: 'case',
      submissionId: bareSubjectSubmissionId(subjectId),
    });
    const { rows } = await db.pool.query<{
      kind: string;
      reason: string;
      evidence: Record<string, unknown>;
      status: string;
      failure_code: string;
    }>(
      `select c.kind, c.reason, c.evidence, s.status, s.failure_code from cases c join submissions s on s.id = c.submission_id
       where c.id = $1`,
      [subject!.caseId],
    );
    expect(rows[0]).toMatchObject({
      kind: 'review',
      status: 'failed',
      failure_code: 'MOD_ERR_REPORT_NOT_ROUTED',
      evidence: {
        source: 'report',
        subject: { type: 'url', value: url },
        report: {
          url,
          reports: 1,
          categories: ['other'],
          accounts: [{ seenWhere: 'a forum', description: 'a link somebody sent' }],
        },
      },
    });
    expect(rows[0]!.reason).toContain('citizen report');
  });

  it("forgets the public form's taken tokens once they expired (refused as expired by then), and only those", async () => {
    const now = clock.now();
    expect(await takeFormToken(db.pool, 'nonce-expiring', new Date(now.getTime() + 1_000))).toBe(true);
    expect(await takeFormToken(db.pool, 'nonce-fresh', new Date(now.getTime() + 3_600_000))).toBe(true);
    // Taken is taken, for whoever asks next.
    expect(await takeFormToken(db.pool, 'nonce-fresh', new Date(now.getTime() + 3_600_000))).toBe(false);
    clock.advance(1_000);
    const { formTokensForgotten } = await router().pass();
    expect(formTokensForgotten).toBe(1);
    const left = await db.pool.query<{ nonce: string }>(
      'select nonce from report_form_tokens order by nonce',
    );
    expect(left.rows.map((r) => r.nonce)).toEqual(['nonce-fresh']);
  });
});
