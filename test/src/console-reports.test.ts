import { generateKeyPairSync } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasePersonalData } from '@mod/db/reports';
import { chromiumAvailable, firstSignInAs, launchChromium, pageAudit } from './console-browser.js';
import {
  AUTHORITY,
  HOTLINE,
  hotlineReport,
  oversight,
  reportWhen,
  scene,
  useReportScene,
} from './reports-scene.js';
import { callWithKey } from './review-flow-browser.js';
import { waitFor } from './waiting.js';

/*
 * The console's citizens'-reports page (issue 23) in Debian's Chromium against the report scene (API, fetcher,
 * scanner and actioner on Kafka and PostgreSQL): the 111 call centre files a report with the caller's contact
 * details; a reviewer sees the programme's figures and the report in the list (deadline counting down), opens it
 * (addresses, case, steps with their owners), follows the case link to the review page (what the reporter said),
 * dismisses it and finds the report settled with the reason and the owners named; a hotline person opens the
 * contact details, and the audit log holds the read; past their retention, the reporter's words, the address and the
 * contact read as erased; an authority officer sees the figures only; axe-core on every state, screenshots.
 */
useReportScene({
  // The audit export (where the test finds the contact read) is signed.
  MOD_AUDIT_SIGNING_KEY_PEM: generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
  AUDIT_SIGN_EVERY_RECORDS: '1',
  AUDIT_SIGN_EVERY_MS: '50',
});

const available = chromiumAvailable();
const audit = pageAudit();
let browser: Browser;
const contexts: BrowserContext[] = [];
let reportId = '';
let caseId = '';
const reviewerName = 'Lê Minh Chi';
const hotlineName = 'Phạm Thu Hà';

/** A person the admin makes (in the hotline's tenant unless said), signed in for the first time in a page of their own. */
async function signedIn(
  login: string,
  displayName: string,
  role: 'reviewer' | 'hotline' | 'authority',
  tenantId = HOTLINE,
) {
  const made = await callWithKey(scene.baseUrl, scene.adminKey, 'POST', '/v1/admin/people', {
    tenantId,
    login,
    displayName,
    role,
  });
  expect(made.status, made.bytes.toString()).toBe(201);
  const { person, oneTimePassword } = made.json<{ person: { id: string }; oneTimePassword: string }>();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  audit.watch(page, scene.baseUrl);
  await page.goto(`${scene.baseUrl}/console/`);
  await firstSignInAs(page, login, oneTimePassword, `một cụm mật khẩu đủ dài cho ${role}`);
  return { page, personId: person.id };
}

async function lookAt(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await audit.look(page, name);
}

const title = (page: Page) => page.locator('#page-title').textContent();
/** The owners of the report's steps as the page shows them: [step, owner] per row, oldest first. */
async function ownersOf(page: Page): Promise<[string, string][]> {
  const rows = page.locator('[data-testid=report-steps] tbody tr');
  const steps = await rows.locator('th').allTextContents();
  const owners = await rows.locator('[data-testid=step-owner]').allTextContents();
  return steps.map((s, i): [string, string] => [s, owners[i] ?? '']);
}

describe.skipIf(!available)("the console's citizens' reports in a real browser", () => {
  let reviewer: { page: Page; personId: string };

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
  });

  it('files a report through the hotline with contact details; the pipeline opens a case for it', async () => {
    const filed = await hotlineReport([scene.urls.benign], {
      category: 'grooming',
      seenWhere: 'Một nhóm trò chuyện',
      description: 'Người lạ nhắn tin làm quen với con tôi',
      contact: { name: 'Nguyễn Thị Mai', phone: '0987 654 321' },
      consents: { contact: true, followUp: true },
    });
    reportId = filed.id;
    const inCase = await reportWhen(reportId, 'a case', (r) => r.report.subjects[0]?.caseId !== null);
    caseId = inCase.report.subjects[0]!.caseId!;
  }, 90_000);

  it("shows a reviewer the programme's figures and the report in the list, its deadline counting down", async () => {
    reviewer = await signedIn('chi.reviewer', reviewerName, 'reviewer');
    const { page } = reviewer;
    await page.click('nav >> text=Báo cáo của người dân');
    await expect.poll(() => title(page)).toBe('Báo cáo của người dân');
    await expect.poll(() => page.textContent('[data-testid=report-stats-overall]')).toMatch(/Đã nhận1/);
    const hotlineRow = page.locator('[data-testid=report-stats-channels] tr[data-channel=hotline] td');
    await expect.poll(() => hotlineRow.first().textContent()).toBe('1');
    // Its median time to outcome: none yet, the one report is still being assessed.
    expect(await hotlineRow.last().textContent()).toBe('—');
    // uPlot draws its canvas in an effect, after the figures are painted: wait for it as a person would.
    await page.waitForSelector('[data-testid=report-stats] canvas');
    const row = page.locator(`tr[data-report-id="${reportId}"]`);
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(2, 5)).toEqual(['Đang đánh giá', 'Đường dây nóng 111', 'Dụ dỗ, làm quen để xâm hại']);
    const countdown = row.locator('[data-testid=report-countdown]');
    const before = await countdown.textContent();
    expect(before).toMatch(/^Còn (\d+ ngày )?\d{2}:\d{2}:\d{2}$/);
    await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(before);
    // The figures' CSV, as the statistics page exports them.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Tải CSV')]);
    expect(download.suggestedFilename()).toMatch(/^report-stats-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    await page.selectOption('#report-channel', 'web');
    await expect.poll(() => row.count()).toBe(0);
    await page.selectOption('#report-channel', 'hotline');
    await expect.poll(() => row.count()).toBe(1);
    await lookAt(page, 'reports-list');
  }, 120_000);

  it('opens the report: its address and case, each step with its owner; the case link shows what the reporter said', async () => {
    const { page } = reviewer;
    await page.locator(`tr[data-report-id="${reportId}"] a`).click();
    await expect.poll(() => title(page)).toBe('Báo cáo');
    const subject = page.locator('[data-testid=report-subjects] tbody tr');
    await expect.poll(() => subject.locator('th').textContent()).toBe(scene.urls.benign);
    expect(await subject.locator('td').first().textContent()).toBe('Đang chờ người xem xét');
    const owners = Object.fromEntries(await ownersOf(page));
    expect(owners['Tiếp nhận']).toMatch(/^Khoá API /);
    expect(owners['Mở trường hợp xem xét']).toBe('Hệ thống');
    // Contact details are the hotline's alone: no button for a reviewer.
    expect(await page.locator('text=Hiện thông tin liên hệ').count()).toBe(0);
    // The reviewer takes responsibility for the report: named on it, and as the owner of that step.
    expect(await page.textContent('[data-testid=report-responsible]')).toContain('Chưa có');
    await page.click('[data-testid=report-responsible] button:has-text("Nhận phụ trách")');
    await expect
      .poll(async () => (await page.textContent('[data-testid=report-responsible]'))?.trim())
      .toBe(reviewerName);
    expect(Object.fromEntries(await ownersOf(page))['Người phụ trách nhận báo cáo']).toBe(reviewerName);
    await lookAt(page, 'report-detail');

    await page.click('text=Mở trường hợp');
    await expect.poll(() => title(page)).toBe('Hàng đợi xem xét');
    expect(page.url()).toContain(`/console/review?case=${caseId}`);
    const context = page.locator('[data-testid=selected-case] [data-testid=report-context]');
    await expect.poll(() => context.textContent()).toContain('Người lạ nhắn tin làm quen với con tôi');
    expect(await context.textContent()).toContain('1 báo cáo qua Đường dây nóng 111');
    await lookAt(page, 'review-report-case');
    await page.click('[data-testid=selected-case] button:has-text("Nhận xử lý")');
    await expect.poll(() => page.locator('section.case [data-testid=report-context]').count()).toBe(1);
    // The report router follows the case's owner on its schedule: the claim is a step of the report.
    await reportWhen(
      reportId,
      'the claim as a step',
      (r) => r.steps.some((s) => s.step === 'claimed'),
      30_000,
    );
    await page.fill('#decision-reason', 'Trang về làm vườn, không có nội dung vi phạm');
    await page.click('button:has-text("Bác bỏ")');
    await expect.poll(() => page.textContent('[data-testid=decided]')).toMatch(/^Đã ghi quyết định/);
  }, 120_000);

  it('shows the report settled: the outcome with its reason, the reviewer named as the owner of their steps', async () => {
    const { page } = reviewer;
    await reportWhen(reportId, 'no action possible', (r) => r.report.status === 'no-action', 30_000);
    await page.goto(`${scene.baseUrl}/console/reports/${reportId}`);
    await expect.poll(() => page.textContent('[data-testid=report-status]')).toBe('Không thể xử lý');
    expect(await page.textContent('[data-testid=report-outcome]')).toContain('Trang về làm vườn');
    const owners = await ownersOf(page);
    expect(owners).toContainEqual(['Người xem xét nhận xử lý', reviewerName]);
    expect(owners).toContainEqual(['Không thể xử lý', reviewerName]);
    expect(await page.textContent('[data-testid=report-countdown]')).toBe('Xong đúng hạn');
    await lookAt(page, 'report-settled');
    // In English: the system owner in words, the page's labels too.
    await page.selectOption('#language', 'en');
    await expect.poll(() => title(page)).toBe('Report');
    expect(Object.fromEntries(await ownersOf(page))['Review case opened']).toBe('Pipeline');
    await lookAt(page, 'report-settled-english');
    await page.selectOption('#language', 'vi');
  }, 90_000);

  it("shows a hotline person the reporter's contact details on request, and the audit log records the read", async () => {
    const hotline = await signedIn('ha.hotline', hotlineName, 'hotline');
    const { page } = hotline;
    // The reports page is the hotline's first (and only) page.
    await expect.poll(() => title(page)).toBe('Báo cáo của người dân');
    await page.locator(`tr[data-report-id="${reportId}"] a`).click();
    await expect.poll(() => title(page)).toBe('Báo cáo');
    expect(await page.textContent('#contact-audited')).toBe(
      'Mỗi lần xem được ghi vào nhật ký kiểm toán, kèm tên của bạn.',
    );
    await lookAt(page, 'report-contact-hidden');
    await page.click('text=Hiện thông tin liên hệ');
    const contact = page.locator('[data-testid=report-contact]');
    await expect.poll(() => contact.textContent()).toContain('Nguyễn Thị Mai');
    expect(await contact.textContent()).toContain('0987 654 321');
    expect(await contact.locator('dd').allTextContents()).toEqual([
      'Nguyễn Thị Mai',
      '0987 654 321',
      '—',
      'Có',
      'Có',
    ]);
    await lookAt(page, 'report-contact-shown');

    let reads: { action: string; actor: { id?: string } }[] = [];
    await waitFor('the contact read in the signed audit export', async () => {
      const exported = await callWithKey(
        scene.baseUrl,
        scene.adminKey,
        'GET',
        `/v1/audit/export?ref=${reportId}`,
      );
      if (exported.status !== 200) return false;
      const { entries } = exported.json<{ entries: { record: string }[] }>();
      reads = entries
        .map((e) => JSON.parse(e.record) as { action: string; actor: { id?: string } })
        .filter((r) => r.action === 'report.contact.read');
      return reads.length > 0;
    });
    expect(reads).toHaveLength(1);
    expect(JSON.stringify(reads[0])).toContain(hotline.personId);
  }, 120_000);

  it("says the reporter's words, address and contact are erased once their retention ended, and keeps the outcome", async () => {
    // A year and more on, as the actioner's personal-data pass erases with the default periods.
    const now = new Date(Date.now() + 400 * 86_400_000);
    for (const kind of ['report-text', 'reported-url', 'reporter-contact'] as const)
      expect(
        await erasePersonalData(scene.world.db, kind, {
          now,
          periodDays: 365,
          batchSize: 100,
          by: 'actioner',
        }),
      ).toBe(1);
    // Over the API: nulls, when the text went, no contact left; the outcome and its figures stay.
    const answer = await oversight('GET', `/v1/reports/${reportId}`);
    expect(answer.status, answer.bytes.toString()).toBe(200);
    expect(answer.json<{ report: Record<string, unknown> }>().report).toMatchObject({
      description: null,
      seenWhere: null,
      textErasedAt: now.toISOString(),
      hasContact: false,
      status: 'no-action',
      category: 'grooming',
      subjects: [expect.objectContaining({ url: null, status: 'no-action', caseId })],
    });
    // The console says so, rather than showing nothing as if the reporter wrote nothing.
    const { page } = reviewer;
    await page.goto(`${scene.baseUrl}/console/reports/${reportId}`);
    await expect.poll(() => page.textContent('[data-testid=report-status]')).toBe('Không thể xử lý');
    expect(await page.textContent('[data-testid=report-outcome]')).toContain('Trang về làm vườn');
    const facts = await page.textContent('[data-testid=report-facts]');
    // Each says when it went (not a blank, nor as if the reporter wrote nothing).
    const erased = /Đã xoá lúc [^,]+, \d{4}, khi hết thời hạn lưu giữ/;
    expect(facts).toMatch(erased);
    expect(facts).not.toContain('Người lạ nhắn tin');
    expect(await page.textContent('[data-testid=report-subjects]')).toMatch(erased);
    // The steps name the address as erased too, not by the subject's id.
    const steps = await page.textContent('[data-testid=report-steps]');
    expect(steps).toMatch(erased);
    const { subjects } = answer.json<{ report: { subjects: { id: string }[] } }>().report;
    expect(steps).not.toContain(subjects[0]!.id);
    await lookAt(page, 'report-erased');
  }, 60_000);

  it('shows an authority officer the figures and only the reports referred to it: none here', async () => {
    const { page } = await signedIn('lan.officer', 'Trần Thị Lan', 'authority', AUTHORITY);
    await page.click('nav >> text=Báo cáo của người dân');
    await expect.poll(() => title(page)).toBe('Báo cáo của người dân');
    await expect.poll(() => page.textContent('[data-testid=report-stats-overall]')).toMatch(/Đã nhận1/);
    // uPlot draws its canvas in an effect, after the figures are painted: wait for it as a person would.
    await page.waitForSelector('[data-testid=report-stats] canvas');
    // The hotline's report is referred to no authority: the officer's list is empty, and says so.
    await expect
      .poll(() => page.textContent('[data-testid=report-summary]'))
      .toBe('Chưa có báo cáo nào được chuyển cho cơ quan của bạn.');
    expect(await page.locator('tr[data-report-id]').count()).toBe(0);
    expect(await page.locator('#report-channel').count()).toBe(0);
    await lookAt(page, 'reports-authority');
  }, 120_000);

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings).length).toBeGreaterThanOrEqual(6);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
