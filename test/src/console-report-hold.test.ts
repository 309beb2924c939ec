import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { openCase } from '@mod/db/orders';
import {
  erasePersonalData,
  fileReport,
  moveSubjectToCase,
  settleSubject,
  subjectReportContext,
} from '@mod/db/reports';
import { insertSubmission } from '@mod/db/submissions';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * A legal hold on a citizen's report in the console, in Debian's Chromium with the production build served by the
 * API on a real PostgreSQL: an admin places it on the report page with a reason (the page shows who, for whom, when
 * and why); the actioner's personal-data pass, a year and more on, erases nothing of it; released, the next pass
 * erases the reporter's words and the address, and the report page, like the review page of the URL's case (its
 * copies of the address, the words and the page's image), says each was erased at which time (not a blank). Both
 * changes are on the audit record under the admin's name. axe on each state, screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const DESCRIPTION = 'Một người lạ gửi đường dẫn này cho con tôi';
const URL = `https://hold.example/${randomBytes(4).toString('hex')}`;

let opened: ConsoleWorld | undefined;
let page: Page;
let reportId = '';
let caseId = '';
let personId = '';

const title = () => page.locator('#page-title').textContent();
const holdState = () => page.locator('[data-testid=report-hold-state]').textContent();
/** The actioner's pass of the report's text and address, `days` on from now, as it runs with a year's periods. */
const erase = async (days: number) => {
  const o = {
    now: new Date(Date.now() + days * 86_400_000),
    periodDays: 365,
    batchSize: 100,
    by: 'actioner',
  };
  const db = opened!.world.db;
  return [await erasePersonalData(db, 'report-text', o), await erasePersonalData(db, 'reported-url', o)];
};

async function openReport(): Promise<void> {
  await page.goto(`${opened!.origin}/console/reports/${reportId}`);
  await expect.poll(title).toBe('Báo cáo');
  await page.waitForSelector('[data-testid=report-hold-state]');
}

describe.skipIf(!available)("a legal hold on a citizen's report in the console", () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [{ id: 'ops', kind: 'admin', role: 'admin' }],
      [{ login: 'admin.hold', displayName: 'Đỗ Văn Quản', role: 'admin' }],
    );
    page = opened.page;
    audit.watch(page, opened.origin);
    const receivedAt = new Date();
    const filed = await fileReport(opened.world.db, {
      trackingSha256: randomBytes(32).toString('hex'),
      channel: 'web',
      tenantId: 'public-reports',
      filedBy: null,
      category: 'other',
      seenWhere: 'Một nhóm trò chuyện',
      description: DESCRIPTION,
      language: 'vi',
      urls: [{ href: URL, key: URL.replace('https://', '') }],
      receivedAt,
      dueAt: new Date(receivedAt.getTime() + 86_400_000),
      contact: null,
    });
    reportId = filed.id;
    // The page's review case, as the report router opens it: the address, the reporter's words, an image it shows.
    const db = opened.world.db;
    const subjectId = filed.subjects[0]!.id;
    const submissionId = randomUUID();
    await insertSubmission(db, {
      id: submissionId,
      tenantId: 'public-reports',
      source: 'fetcher',
      url: URL,
      sha256: 'ab'.repeat(32),
      bytes: 10,
    });
    const context = await subjectReportContext(db, subjectId);
    const image = {
      submissionId: randomUUID(),
      url: `${URL}/photo.jpg`,
      status: 'scanned',
      decision: 'no-match',
    };
    const reviewCase = await openCase(db, {
      kind: 'review',
      submissionId,
      orderIds: [],
      reason: 'citizen report',
      evidence: { source: 'report', report: { subjectId, url: URL, ...context }, embeddedImages: [image] },
      policyVersion: 'test',
      createdAt: receivedAt,
    });
    caseId = reviewCase.id;
    await moveSubjectToCase(db, { id: subjectId, caseId, submissionId, at: receivedAt, note: 'n' });
    await db.query(`update cases set status = 'closed', closed_at = $2, closed_by = 'test' where id = $1`, [
      caseId,
      receivedAt,
    ]);
    // Handled: its retention periods run from now.
    await settleSubject(opened.world.db, {
      id: subjectId,
      status: 'no-action',
      reason: 'không có nội dung vi phạm',
      orderIds: [],
      submissionId: null,
      owner: 'system:pipeline',
      at: receivedAt,
    });
  }, 180_000);
  afterAll(async () => opened?.close());

  it('places a hold with a reason and shows who, for whom, when and why; the pass then erases nothing', async () => {
    await page.goto(`${opened!.origin}/console/`);
    await firstSignInAs(page, 'admin.hold', opened!.oneTimes['admin.hold'] ?? '', 'một cụm mật khẩu đủ dài');
    const session = await page.evaluate(async () => (await fetch('/v1/session')).json());
    personId = (session as { person: { id: string } }).person.id;
    await openReport();
    expect(await holdState()).toBe(
      'Không lưu giữ: dữ liệu cá nhân của báo cáo được xoá khi hết thời hạn lưu giữ.',
    );
    const place = page.locator('[data-testid=report-hold] button[type=submit]');
    // A hold needs its reason: the button waits for one.
    expect(await place.isDisabled()).toBe(true);
    await page.fill('#report-hold-reason', 'Hồ sơ truy tố số 12/2026');
    await place.click();
    await expect.poll(holdState).toMatch(/^Đang lưu giữ/);
    const facts = await page.locator('[data-testid=report-hold-facts] dd').allTextContents();
    expect([facts[0], facts[1], facts[3]]).toEqual(['Đỗ Văn Quản', 'ops', 'Hồ sơ truy tố số 12/2026']);
    expect(facts[2]).toMatch(/\d{4}/);
    await page.waitForLoadState('networkidle');
    await audit.look(page, 'report-hold-placed');

    expect(await erase(400)).toEqual([0, 0]);
    await openReport();
    expect(await page.textContent('[data-testid=report-facts]')).toContain(DESCRIPTION);
    expect(await page.textContent('[data-testid=report-subjects]')).toContain(URL);
  }, 120_000);

  it('releases it with a reason; the next pass erases, and the page says on which date each went', async () => {
    await page.fill('#report-hold-reason', 'Vụ việc đã khép lại');
    await page.click('[data-testid=report-hold] button:has-text("Gỡ lưu giữ")');
    await expect.poll(holdState).toMatch(/^Không lưu giữ/);
    expect(await erase(400)).toEqual([1, 1]);
    const year = String(new Date(Date.now() + 400 * 86_400_000).getFullYear());

    await openReport();
    const facts = await page.textContent('[data-testid=report-facts]');
    expect(facts).not.toContain(DESCRIPTION);
    const erased = /Đã xoá lúc [^,]+, \d{4}, khi hết thời hạn lưu giữ/;
    expect(facts).toMatch(erased);
    expect(facts).toContain(year);
    const subjects = (await page.textContent('[data-testid=report-subjects]')) ?? '';
    expect(subjects).not.toContain(URL);
    expect(subjects).toMatch(erased);
    await page.waitForLoadState('networkidle');
    await audit.look(page, 'report-hold-released-erased');

    // The review page of the URL's case: its copies say so too, with when.
    await page.goto(`${opened!.origin}/console/review?case=${caseId}`);
    const context = page.locator('[data-testid=selected-case] [data-testid=report-context]');
    await expect.poll(() => context.count(), { timeout: 10_000 }).toBe(1);
    const shown = (await context.textContent()) ?? '';
    expect(shown).not.toContain(URL);
    expect(shown).not.toContain(DESCRIPTION);
    expect(shown.match(new RegExp(erased.source, 'g'))).toHaveLength(3);
    await page.waitForLoadState('networkidle');
    await audit.look(page, 'report-hold-review-erased');

    await openReport();
    await page.selectOption('#language', 'en');
    await expect.poll(title).toBe('Report');
    expect(await page.textContent('[data-testid=report-facts]')).toMatch(
      /Erased on [^,]+ \d{4}, [\d:]+, at the end of its retention/,
    );
    expect(await holdState()).toBe(
      "Not held: the report's personal data is erased at the end of its retention.",
    );
    await audit.look(page, 'report-hold-released-erased-english');
    await page.selectOption('#language', 'vi');

    const records = (await listAudit(opened!.world.db, { subjectId: reportId })).filter((r) =>
      r.action.startsWith('report.legal_hold'),
    );
    expect(records.map((r) => [r.action, r.actor.id, r.role, r.reason])).toEqual([
      ['report.legal_hold_set', personId, 'admin', 'Hồ sơ truy tố số 12/2026'],
      ['report.legal_hold_released', personId, 'admin', 'Vụ việc đã khép lại'],
    ]);
  }, 120_000);

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings)).toHaveLength(4);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
