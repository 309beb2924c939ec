import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { getReport, readReportContact, releaseReportHold, setReportHold } from '@mod/db/reports';
import { markSubmissionFailed, recordEmbeddedSubmissions } from '@mod/db/submissions';
import { holdBy } from '@mod/vault/testing/evidence';
import { DAY, passErased, usePersonalDataWorld } from './personal-data.test-helper.js';
import { TEST_REPORT_TEXT } from './report-fixtures.test-helper.js';

/**
 * A legal hold on a citizen's report itself (migration 0036), on a real PostgreSQL with a clock the test moves: the
 * personal-data pass erases nothing of a held report long past every period, and once the hold is released the next
 * pass erases what is due, audited as any erasure.
 */
const w = usePersonalDataWorld();
const PAGE = 'https://held-report.example/page';
const IMAGE = 'https://held-report.example/photo.jpg';

/** A handled web report of a crawled page that shows one image, with contact details due a day after receipt. */
async function handledPageReport() {
  const report = await w.file(PAGE, 1);
  const page = await w.submission(PAGE, 'public-reports');
  const image = await w.submission(IMAGE, 'public-reports');
  await markSubmissionFailed(w.db.pool, { id: page, tenantId: 'public-reports' }, 'MOD_ERR_FETCH_NOT_MEDIA');
  await recordEmbeddedSubmissions(w.db.pool, { id: page, tenantId: 'public-reports' }, [image]);
  await w.handle(report.subjectId, page);
  return { ...report, page, image };
}

const holdActions = async (reportId: string) =>
  (await listAudit(w.db.pool, { subjectId: reportId }))
    .filter((r) => r.action.startsWith('report.legal_hold'))
    .map((r) => ({ action: r.action, actor: r.actor, role: r.role, tenantId: r.tenantId, reason: r.reason }));

describe("a legal hold on a citizen's report (real PostgreSQL)", () => {
  it('keeps all of a held report past every period; after release the next pass erases it, audited', async () => {
    const r = await handledPageReport();
    const held = await setReportHold(
      w.db.pool,
      r.id,
      holdBy('authority-a', { reason: 'prosecution 12/2026' }),
    );
    expect(held).toMatchObject({
      ok: true,
      legalHold: { by: 'key-authority-a', authorityTenantId: 'authority-a', reason: 'prosecution 12/2026' },
    });
    expect((await getReport(w.db.pool, r.id, { all: true }))?.legalHold).toMatchObject({
      authorityTenantId: 'authority-a',
      reason: 'prosecution 12/2026',
    });
    // Far past the periods of its text (30 days), its URL (60), the page's and image's URLs (10), its contact (1).
    w.clock.advance(400 * DAY);
    expect(await w.retention().pass()).toEqual(passErased());
    const kept = await getReport(w.db.pool, r.id, { all: true });
    expect(kept).toMatchObject({ ...TEST_REPORT_TEXT, textErasedAt: null, hasContact: true });
    expect(kept?.subjects.map((s) => [s.url, s.urlErasedAt])).toEqual([[PAGE, null]]);
    expect(await readReportContact(w.db.pool, r.id)).not.toBeNull();
    expect((await w.submissionUrl(r.page))?.url).toBe(PAGE);
    expect((await w.submissionUrl(r.image))?.url).toBe(IMAGE);

    // Another authority neither takes the hold over nor ends it.
    expect(await setReportHold(w.db.pool, r.id, holdBy('authority-b'))).toEqual({
      ok: false,
      refusal: 'held-by-another-authority',
    });
    expect(await releaseReportHold(w.db.pool, r.id, holdBy('authority-b'))).toEqual({
      ok: false,
      refusal: 'held-by-another-authority',
    });
    expect((await w.retention().pass())['report-text']).toBe(0);

    const released = await releaseReportHold(
      w.db.pool,
      r.id,
      holdBy('authority-a', { reason: 'case closed' }),
    );
    expect(released).toEqual({ ok: true, reportId: r.id, legalHold: null });
    expect(await releaseReportHold(w.db.pool, r.id, holdBy('authority-a'))).toEqual({
      ok: false,
      refusal: 'not-held',
    });
    const actor = { kind: 'user', id: 'key-authority-a' };
    expect(await holdActions(r.id)).toEqual([
      {
        action: 'report.legal_hold_set',
        actor,
        role: 'authority',
        tenantId: 'authority-a',
        reason: 'prosecution 12/2026',
      },
      {
        action: 'report.legal_hold_released',
        actor,
        role: 'authority',
        tenantId: 'authority-a',
        reason: 'case closed',
      },
    ]);

    expect(await w.retention().pass()).toEqual(
      passErased({ 'report-text': 1, 'reporter-contact': 1, 'reported-url': 1, 'observed-url': 2 }),
    );
    const erased = await getReport(w.db.pool, r.id, { all: true });
    expect(erased).toMatchObject({ seenWhere: null, description: null, hasContact: false, legalHold: null });
    expect(erased?.textErasedAt).toEqual(w.clock.now());
    expect(erased?.subjects.map((s) => [s.url, s.urlErasedAt])).toEqual([[null, w.clock.now()]]);
    expect(await readReportContact(w.db.pool, r.id)).toBeNull();
    expect((await w.submissionUrl(r.page))?.url).toBeNull();
    expect((await w.submissionUrl(r.image))?.url).toBeNull();
    expect(await w.erasures('report-text')).toEqual([expect.objectContaining({ erased: 1, ids: [r.id] })]);
    expect(await w.erasures('reporter-contact')).toEqual([expect.objectContaining({ ids: [r.id] })]);
    expect(await w.erasures('reported-url')).toEqual([expect.objectContaining({ ids: [r.subjectId] })]);
    expect((await w.erasures('observed-url'))[0]?.['ids']).toEqual([r.page, r.image].sort());
  });

  it('erases a report without a hold as before while another is held, and refuses a hold on an unknown report', async () => {
    const heldReport = await w.file(PAGE);
    const other = await w.file('https://not-held.example/');
    await w.handle(heldReport.subjectId);
    await w.handle(other.subjectId);
    expect((await setReportHold(w.db.pool, heldReport.id, holdBy('authority-a'))).ok).toBe(true);
    w.clock.advance(100 * DAY);
    expect(await w.retention().pass()).toMatchObject({ 'report-text': 1, 'reported-url': 1 });
    expect((await getReport(w.db.pool, other.id, { all: true }))?.description).toBeNull();
    expect((await getReport(w.db.pool, heldReport.id, { all: true }))?.description).toBe(
      TEST_REPORT_TEXT.description,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await setReportHold(w.db.pool, unknown, holdBy('authority-a'))).toEqual({
      ok: false,
      refusal: 'not-found',
    });
  });
});
