import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileReport,
  keepReportReplay,
  readReportContact,
  getReport,
  shortenReportContactRetention,
  takeFormToken,
  takeReportReplayKey,
} from '@mod/db/reports';
import { createRegistry, createLogger } from '@mod/telemetry';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { createReportRouter } from './report-router.js';
import { bareSubjectSubmissionId, DEFAULT_ROUTING_TIMINGS } from './report-routing.js';

/**
 * The report router's own duties on a real PostgreSQL (no broker: what it publishes goes through the outbox):
 * a URL the pipeline made nothing of is sent again, then given to a person bare; reporters' contact details go
 * when their retention ends.
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

async function file(url: string, contactDays: number | null) {
  const receivedAt = clock.now();
  return fileReport(db.pool, {
    trackingSha256: Math.random().toString(16).slice(2).padEnd(64, '0').slice(0, 64),
    channel: 'web',
    tenantId: 'public-reports',
    filedBy: null,
    category: 'other',
    seenWhere: 'a forum',
    description: 'a link somebody sent',
    language: 'vi',
    urls: [{ href: url, key: url.replace(/^https?:\/\//, '') }],
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + 86_400_000),
    contact:
      contactDays === null
        ? null
        : {
            sealed: Buffer.from('sealed elsewhere'),
            keyId: 'k1',
            consents: { contact: true, followUp: false },
            deleteAfter: new Date(receivedAt.getTime() + contactDays * 86_400_000),
          },
  });
}

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
    const { id, subjects } = await file(url, null);
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
      id: subjects[0]!.id,
      status: 'case',
      submissionId: bareSubjectSubmissionId(subjects[0]!.id),
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

  it("deletes reporters' contact details when their retention ends, and only then", async () => {
    const kept = await file('https://contact.example/a', 30);
    const expiring = await file('https://contact.example/b', 1);
    clock.advance(86_400_000 + 1);
    const { contactsDeleted } = await router().pass();
    expect(contactsDeleted).toBe(1);
    expect(await readReportContact(db.pool, expiring.id)).toBeNull();
    expect(await readReportContact(db.pool, kept.id)).not.toBeNull();
    // The report itself stays (only the contact goes), and says it has none now.
    expect((await getReport(db.pool, expiring.id, { all: true }))?.hasContact).toBe(false);
  });

  it('deletes contact details kept under a longer retention once a shorter one is set, by when they were received', async () => {
    // Filed under 90 days; 31 days on, the setting is 30: due since a day ago, so the next pass deletes them.
    const before = await file('https://contact.example/long', 90);
    clock.advance(31 * 86_400_000);
    const fresh = await file('https://contact.example/fresh', 90);
    // Fixed at filing, their deletion time alone would keep them (another test's contacts may go now).
    await router().pass();
    expect(await readReportContact(db.pool, before.id)).not.toBeNull();
    expect(await shortenReportContactRetention(db.pool, 30)).toBe(2);
    // Applied again, or a longer setting: nothing changes (a deletion is never put off).
    expect(await shortenReportContactRetention(db.pool, 30)).toBe(0);
    expect(await shortenReportContactRetention(db.pool, 365)).toBe(0);
    expect((await router().pass()).contactsDeleted).toBe(1);
    expect(await readReportContact(db.pool, before.id)).toBeNull();
    // The fresh contact goes 30 days after its own receipt, not 90.
    clock.advance(30 * 86_400_000 - 1);
    expect((await router().pass()).contactsDeleted).toBe(0);
    clock.advance(1);
    expect((await router().pass()).contactsDeleted).toBe(1);
    expect(await readReportContact(db.pool, fresh.id)).toBeNull();
  });

  it('deletes the sealed answers kept for Idempotency-Keys when their window ends, and only those', async () => {
    const now = clock.now();
    for (const [key, ms] of [
      ['ending', 1_000],
      ['open', 3_600_000],
    ] as const) {
      const { id } = await file(`https://replay.example/${key}`, null);
      const take = { tenantId: 'public-reports', idempotencyKey: key, reportId: id, now };
      expect(await takeReportReplayKey(db.pool, { ...take, expiresAt: new Date(now.getTime() + ms) })).toBe(
        'taken',
      );
      await keepReportReplay(db.pool, { ...take, sealed: Buffer.from('sealed elsewhere'), keyId: 'k1' });
    }
    clock.advance(1_000);
    expect((await router().pass()).replaysDeleted).toBe(1);
    const left = await db.pool.query('select idempotency_key from report_replays');
    expect(left.rows).toEqual([{ idempotency_key: 'open' }]);
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
