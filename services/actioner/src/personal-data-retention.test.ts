import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCase } from '@mod/db/orders';
import {
  getReport,
  keepReportReplay,
  moveSubjectToCase,
  readReportContact,
  shortenReportContactRetention,
  subjectReportContext,
  takeReportReplayKey,
} from '@mod/db/reports';
import { markSubmissionFailed, recordEmbeddedSubmissions } from '@mod/db/submissions';
import { createPgEvidenceStore } from '@mod/db/vault';
import { createMasterKeyring } from '@mod/vault';
import { evidenceToKeep, holdBy } from '@mod/vault/testing/evidence';
import { DAY, passErased, usePersonalDataWorld } from './personal-data.test-helper.js';
import { TEST_REPORT_TEXT } from './report-fixtures.test-helper.js';

/**
 * The retention of citizens' reports' personal data on a real PostgreSQL, with a clock the test moves: what is erased
 * when, what a report still open or under a legal hold keeps, and what the audit records say (the URLs' retention and
 * batches: personal-data-urls.test.ts).
 */
const TEXT = TEST_REPORT_TEXT.description;
const w = usePersonalDataWorld();

/** An authority's legal hold on the evidence kept of `submissionId`, then 400 days on; `lift()` releases it. */
async function holdEvidenceOf(submissionId: string): Promise<{ lift(): Promise<void> }> {
  const store = createPgEvidenceStore(w.db.pool, {
    keyring: createMasterKeyring({ current: randomBytes(32).toString('base64') }),
  });
  const { item } = await store.keep(
    evidenceToKeep({ tenantId: 'public-reports', submissionId, at: w.clock.now() }),
  );
  expect((await store.setLegalHold(item.id, { all: true }, holdBy('authority-a'))).ok).toBe(true);
  w.clock.advance(400 * DAY);
  return {
    async lift() {
      expect((await store.releaseLegalHold(item.id, { all: true }, holdBy('authority-a'))).ok).toBe(true);
    },
  };
}

describe("personal-data retention of citizens' reports (real PostgreSQL)", () => {
  it("erases a handled report's description and where-seen REPORT_TEXT_RETENTION_DAYS after its outcome, never an open report's, and keeps the figures", async () => {
    const handled = await w.file('https://text.example/handled');
    const open = await w.file('https://text.example/open');
    await w.handle(handled.subjectId);
    const outcomeAt = w.clock.now();
    w.clock.advance(30 * DAY - 1);
    expect((await w.retention().pass())['report-text']).toBe(0);
    w.clock.advance(1);
    expect((await w.retention().pass())['report-text']).toBe(1);
    const after = await getReport(w.db.pool, handled.id, { all: true });
    expect(after).toMatchObject({
      description: null,
      seenWhere: null,
      status: 'no-action',
      category: 'other',
      channel: 'web',
      outcomeReason: 'nothing unlawful on the page',
      outcomeAt,
    });
    expect(after?.textErasedAt).toEqual(w.clock.now());
    const row = await w.db.pool.query<{ tracking_sha256: string }>(
      'select tracking_sha256 from reports where id = $1',
      [handled.id],
    );
    expect(row.rows[0]?.tracking_sha256).toMatch(/^[0-9a-f]{64}$/);
    // Still open a thousand days on: a report is never erased before it is handled.
    w.clock.advance(1000 * DAY);
    expect((await w.retention().pass())['report-text']).toBe(0);
    expect((await getReport(w.db.pool, open.id, { all: true }))?.description).toBe(TEXT);
    // Audited: what kind, how many, under which period and which reports; never the text.
    expect(await w.erasures('report-text')).toEqual([
      { kind: 'report-text', erased: 1, period: "30 days after the report's outcome", ids: [handled.id] },
    ]);
    const leaked = await w.db.pool.query(
      `select 1 from audit_records where record like '%' || $1 || '%'
       union all select 1 from audit_evidence where document like '%' || $1 || '%'`,
      ['somebody sent'],
    );
    expect(leaked.rows).toEqual([]);
    expect(await w.erasedTotal('report-text')).toBe(1);
  });

  it("erases the reporters' words copied into their URL's review case once every report of the URL lost its own", async () => {
    const first = await w.file('https://folded.example/page');
    const second = await w.file('https://folded.example/page');
    expect(second.subjectId).toBe(first.subjectId);
    const seen = await w.submission('https://folded.example/page', 'public-reports');
    const context = await subjectReportContext(w.db.pool, first.subjectId);
    const opened = await openCase(w.db.pool, {
      kind: 'review',
      submissionId: seen,
      orderIds: [],
      reason: 'citizen report',
      evidence: { source: 'report', report: { subjectId: first.subjectId, ...context } },
      policyVersion: 'test',
      createdAt: w.clock.now(),
    });
    const at = w.clock.now();
    await moveSubjectToCase(w.db.pool, {
      id: first.subjectId,
      caseId: opened.id,
      submissionId: seen,
      at,
      note: 'n',
    });
    await w.handle(first.subjectId);
    const accounts = async () =>
      (
        await w.db.pool.query<{ a: unknown }>(
          `select evidence->'report'->'accounts' as a from cases where id = $1`,
          [opened.id],
        )
      ).rows[0]?.a;
    expect(await accounts()).toEqual([
      { channel: 'web', category: 'other', ...TEST_REPORT_TEXT },
      { channel: 'web', category: 'other', ...TEST_REPORT_TEXT },
    ]);
    w.clock.advance(30 * DAY);
    // One report a pass: the case keeps the words while the other report still has its own.
    expect((await w.retention(1, 1).pass())['report-text']).toBe(1);
    expect(await accounts()).toHaveLength(2);
    expect(JSON.stringify(await accounts())).toContain(TEXT);
    expect((await w.retention(1, 1).pass())['report-text']).toBe(1);
    // Each account says when its words went (for the console's "erased on …").
    // PostgreSQL writes the time with its trailing zeros dropped (".99", not ".990"): compared as a time.
    const gone = {
      channel: 'web',
      category: 'other',
      seenWhere: null,
      description: null,
      textErasedAt: expect.any(String) as unknown,
    };
    const after = (await accounts()) as { textErasedAt: string }[];
    expect(after).toEqual([gone, gone]);
    for (const a of after) expect(new Date(a.textErasedAt).getTime()).toBe(w.clock.now().getTime());
  });

  it("keeps a reporter's contact details past their period while the report is open, and erases them once it is handled", async () => {
    const kept = await w.file('https://contact.example/kept', 30);
    const due = await w.file('https://contact.example/due', 1);
    w.clock.advance(2 * DAY);
    expect((await w.retention().pass())['reporter-contact']).toBe(0);
    expect(await readReportContact(w.db.pool, due.id)).not.toBeNull();
    await w.handle(due.subjectId);
    await w.handle(kept.subjectId);
    expect((await w.retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(w.db.pool, due.id)).toBeNull();
    expect(await readReportContact(w.db.pool, kept.id)).not.toBeNull();
    // The report stays (only the contact goes), and says it has none now.
    expect((await getReport(w.db.pool, due.id, { all: true }))?.hasContact).toBe(false);
    expect(await w.erasures('reporter-contact')).toEqual([
      expect.objectContaining({ kind: 'reporter-contact', erased: 1, ids: [due.id] }),
    ]);
    expect(await w.erasedTotal('reporter-contact')).toBe(1);
  });

  it('erases contact details kept under a longer retention once a shorter one is set, by when they were received', async () => {
    const before = await w.file('https://contact.example/long', 90);
    await w.handle(before.subjectId);
    w.clock.advance(31 * DAY);
    const fresh = await w.file('https://contact.example/fresh', 90);
    await w.handle(fresh.subjectId);
    expect((await w.retention().pass())['reporter-contact']).toBe(0);
    expect(await shortenReportContactRetention(w.db.pool, 30)).toBe(2);
    expect((await w.retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(w.db.pool, before.id)).toBeNull();
    // The fresh contact goes 30 days after its own receipt, not 90.
    w.clock.advance(30 * DAY - 1);
    expect((await w.retention().pass())['reporter-contact']).toBe(0);
    w.clock.advance(1);
    expect((await w.retention().pass())['reporter-contact']).toBe(1);
    expect(await readReportContact(w.db.pool, fresh.id)).toBeNull();
  });

  it("keeps a report's text, contact and URLs while an authority holds its evidence, and erases them once the hold is lifted", async () => {
    const report = await w.file('https://held.example/page', 1);
    const seen = await w.submission('https://held.example/page', 'public-reports');
    await w.handle(report.subjectId, seen);
    const hold = await holdEvidenceOf(seen);
    expect(await w.retention().pass()).toEqual(passErased());
    expect((await getReport(w.db.pool, report.id, { all: true }))?.description).toBe(TEXT);
    expect(await readReportContact(w.db.pool, report.id)).not.toBeNull();
    expect((await w.submissionUrl(seen))?.url).toBe('https://held.example/page');
    await hold.lift();
    expect(await w.retention().pass()).toEqual(
      passErased({ 'report-text': 1, 'reporter-contact': 1, 'reported-url': 1, 'observed-url': 1 }),
    );
    expect((await getReport(w.db.pool, report.id, { all: true }))?.description).toBeNull();
  });

  it("keeps a reported page's report and URL while an authority holds the evidence of an image the page shows", async () => {
    const report = await w.file('https://held-page.example/', 1);
    const page = await w.submission('https://held-page.example/', 'public-reports');
    const image = await w.submission('https://held-page.example/photo.jpg', 'public-reports');
    await markSubmissionFailed(
      w.db.pool,
      { id: page, tenantId: 'public-reports' },
      'MOD_ERR_FETCH_NOT_MEDIA',
    );
    await recordEmbeddedSubmissions(w.db.pool, { id: page, tenantId: 'public-reports' }, [image]);
    await w.handle(report.subjectId, page);
    await holdEvidenceOf(image);
    expect(await w.retention().pass()).toMatchObject({
      'report-text': 0,
      'reporter-contact': 0,
      'reported-url': 0,
      'observed-url': 0,
    });
    expect((await w.submissionUrl(page))?.url).toBe('https://held-page.example/');
  });

  it('erases the sealed answers kept for Idempotency-Keys when their window ends, and only those', async () => {
    const now = w.clock.now();
    for (const [key, ms] of [
      ['ending', 1_000],
      ['open', 3_600_000],
    ] as const) {
      const { id } = await w.file(`https://replay.example/${key}`);
      const take = { tenantId: 'public-reports', idempotencyKey: key, reportId: id, now };
      expect(await takeReportReplayKey(w.db.pool, { ...take, expiresAt: new Date(now.getTime() + ms) })).toBe(
        'taken',
      );
      await keepReportReplay(w.db.pool, { ...take, sealed: Buffer.from('sealed elsewhere'), keyId: 'k1' });
    }
    w.clock.advance(1_000);
    expect((await w.retention().pass())['report-replay']).toBe(1);
    const left = await w.db.pool.query('select idempotency_key from report_replays');
    expect(left.rows).toEqual([{ idempotency_key: 'open' }]);
    expect(JSON.stringify(await w.erasures('report-replay'))).not.toContain('ending');
  });
});
