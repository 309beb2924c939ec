import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { openCase } from '@mod/db/orders';
import { insertSubmission } from '@mod/db/submissions';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * Reviewers' daily exposure in the console, in Debian's Chromium with the production build served by the API on a
 * real PostgreSQL (limits: 2 originals and 10 previews a day). A reviewer at both limits claims a case: the preview
 * and then the reveal are refused (429), and the page says so in Vietnamese, with the limit, that it resets
 * tomorrow and that a supervisor can help (before, the API's English text); the English console says it in
 * English. The reviewer may not open the supervisors' page (403, said in words). An admin, the welfare supervisor,
 * opens it from the review queue: everyone who works cases with their reveals and previews against the limits, the
 * one at a limit and the one near it marked in words; the read is on the audit record under the admin's name. A
 * past day reads against the limits in force that day (recorded with its counts), and a day counted before they
 * were recorded says its limits are unknown, in Vietnamese and English. axe on each state, screenshots.
 */
const available = chromiumAvailable();
const audit = pageAudit();
const PASSWORD = 'một cụm mật khẩu đủ dài cho người xem xét';
const PEOPLE = [
  { login: 'giam.sat', displayName: 'Trần Thị Giám Sát', role: 'admin' },
  { login: 'xem.xet', displayName: 'Lê Văn Xem', role: 'reviewer' },
  { login: 'gan.muc', displayName: 'Phạm Thị Gần', role: 'reviewer' },
  { login: 'thong.thuong', displayName: 'Ngô Văn Thường', role: 'reviewer' },
] as const;
/** The submission of the case in the queue: a platform's upload. */
const SUBMISSION = {
  tenantId: 'plat-1',
  source: 'api',
  url: null,
  sha256: 'cd'.repeat(32),
  bytes: 10,
} as const;

let opened: ConsoleWorld | undefined;
let page: Page;
const ids: Record<string, string> = {};

const title = () => page.locator('#page-title').textContent();
/** The deployment's day (Hà Nội) `n` days before today, as the API counts it. */
const daysBack = (n: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(
    new Date(Date.now() - n * 86_400_000),
  );
/** Today in the deployment's day. */
const today = () => daysBack(0);

async function signIn(login: string): Promise<void> {
  if ((await page.locator('nav button').count()) > 0) {
    await page.click('nav button');
    await page.waitForSelector('#login');
  } else await page.goto(`${opened!.origin}/console/`);
  await firstSignInAs(page, login, opened!.oneTimes[login]!, PASSWORD);
}

describe.skipIf(!available)("reviewers' daily exposure in the console", () => {
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'plat-1', kind: 'platform' },
      ],
      PEOPLE,
      { review: { dailyRevealLimit: 2, dailyPreviewLimit: 10 } },
    );
    page = opened.page;
    audit.watch(page, opened.origin);
    const db = opened.world.db;
    const { rows } = await db.query<{ id: string; login: string }>('select id, login from people');
    for (const r of rows) ids[r.login] = r.id;
    // A case in the queue (its media never reached: every view of it is refused at the limit first).
    const submissionId = randomUUID();
    await insertSubmission(db, { id: submissionId, ...SUBMISSION });
    await openCase(db, {
      kind: 'review',
      submissionId,
      orderIds: [],
      reason: 'classifier risk 0.97 asks for review',
      evidence: { hits: [] },
      policyVersion: 'test',
      createdAt: new Date(),
    });
    // What they were shown today: one at both limits, one near the preview limit (8 of 10), one nothing.
    await db.query(
      `insert into review_exposure (person_id, day, reveals, previews)
       values ($1, $3::date, 2, 10), ($2, $3::date, 0, 8)`,
      [ids['xem.xet'], ids['gan.muc'], today()],
    );
  }, 120_000);

  afterAll(async () => opened?.close());

  it('tells a reviewer at the limit, in Vietnamese, that the day’s limit is reached and what to do', async () => {
    await signIn('xem.xet');
    await page.click('nav >> text=Hàng đợi xem xét');
    await expect.poll(title).toBe('Hàng đợi xem xét');
    await expect
      .poll(() => page.textContent('[data-testid=exposure]'))
      .toBe('Hôm nay bạn đã xem 2 ảnh gốc (giới hạn 2) và 10 ảnh xem trước (giới hạn 10).');
    // No link to the supervisors' page for a reviewer.
    expect(await page.locator('a[href="/console/review/exposure"]').count()).toBe(0);
    await page.click('[data-testid=queue] tbody tr button:not([disabled])');
    const alert = page.locator('.case [role=alert]');
    await expect
      .poll(() => alert.textContent())
      .toBe(
        'Bạn đã đạt giới hạn trong ngày: 10 ảnh xem trước được xem mỗi ngày. Giới hạn được tính lại từ ngày mai; nếu cần xem gấp, hãy báo người giám sát (quản trị viên) hoặc nhờ một đồng nghiệp. (MOD_ERR_API_PREVIEW_LIMIT)',
      );
    await audit.look(page, '40-exposure-preview-limit');
    await page.click('button:has-text("Xem ảnh gốc")');
    await expect
      .poll(() => alert.textContent())
      .toBe(
        'Bạn đã đạt giới hạn trong ngày: 2 ảnh gốc được xem mỗi ngày. Giới hạn được tính lại từ ngày mai; nếu cần xem gấp, hãy báo người giám sát (quản trị viên) hoặc nhờ một đồng nghiệp. (MOD_ERR_API_EXPOSURE_LIMIT)',
      );
    await audit.look(page, '41-exposure-reveal-limit');
    // In English, in English.
    await page.selectOption('#language', 'en');
    await expect
      .poll(() => alert.textContent())
      .toBe(
        'You have reached the daily limit: 2 originals may be revealed a day. It resets tomorrow; if this cannot wait, tell a supervisor (an administrator) or ask a colleague. (MOD_ERR_API_EXPOSURE_LIMIT)',
      );
    await page.selectOption('#language', 'vi');
    // Nothing more was counted: the refusals showed nothing.
    const { rows } = await opened!.world.db.query<{ reveals: number; previews: number }>(
      'select reveals, previews from review_exposure where person_id = $1',
      [ids['xem.xet']],
    );
    expect(rows).toEqual([{ reveals: 2, previews: 10 }]);
    // The supervisors' page is not a reviewer's: the API's 403, said in words.
    await page.goto(`${opened!.origin}/console/review/exposure`);
    await expect
      .poll(() => page.textContent('main [role=alert]'))
      .toBe('Bạn không có quyền làm việc này. (MOD_ERR_API_FORBIDDEN)');
  });

  it('shows a supervisor everyone’s exposure, marking who reached or nears a limit, on record', async () => {
    await signIn('giam.sat');
    await page.click('nav >> text=Hàng đợi xem xét');
    await page.click('text=Mức tiếp xúc hình ảnh của người xem xét (giám sát)');
    await expect.poll(title).toBe('Mức tiếp xúc hình ảnh của người xem xét');
    const table = page.locator('[data-testid=exposure-people]');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    expect(await page.textContent('[data-testid=exposure-limits]')).toBe(
      'Giới hạn mỗi ngày: 2 ảnh gốc, 10 ảnh xem trước.',
    );
    expect(await page.textContent('[data-testid=exposure-summary]')).toBe(
      '1 người đã chạm giới hạn; 1 người sắp chạm giới hạn.',
    );
    const row = (login: string) => table.locator(`tr[data-person="${ids[login]}"]`);
    const cells = async (login: string) =>
      (await row(login).locator('th, td').allTextContents()).map((s) => s.trim());
    // Most exposed first; the standing in words.
    expect(await cells('xem.xet')).toEqual([
      'Lê Văn Xem (xem.xet)',
      'Người xem xét',
      '2 / 2',
      '10 / 10',
      'Đã chạm giới hạn',
    ]);
    expect(await cells('gan.muc')).toEqual([
      'Phạm Thị Gần (gan.muc)',
      'Người xem xét',
      '0 / 2',
      '8 / 10',
      'Sắp chạm giới hạn',
    ]);
    expect(await cells('thong.thuong')).toEqual([
      'Ngô Văn Thường (thong.thuong)',
      'Người xem xét',
      '0 / 2',
      '0 / 10',
      'Bình thường',
    ]);
    expect(await row('xem.xet').getAttribute('data-standing')).toBe('reached');
    expect(await row('gan.muc').getAttribute('data-standing')).toBe('near');
    expect(await page.inputValue('#exposure-day')).toBe(today());
    await audit.look(page, '42-exposure-supervisor');
    // The read is on record under the supervisor's name, for today.
    const reads = (await listAudit(opened!.world.db, { limit: 100_000 })).filter(
      (r) => r.action === 'review_exposure.read',
    );
    expect(reads.map((r) => [r.actor.id, r.subject.id])).toContainEqual([ids['giam.sat'], today()]);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });

  it('shows a past day against the limits in force that day, and says when they were not recorded', async () => {
    const db = opened!.world.db;
    // Yesterday, counted under limits of 1 original and 4 previews (since raised to 2 and 10): at both.
    const yesterday = daysBack(1);
    await db.query(
      `insert into review_exposure (person_id, day, reveals, previews) values ($1, $2::date, 1, 4)`,
      [ids['gan.muc'], yesterday],
    );
    await db.query(
      `insert into review_exposure_limits (day, daily_reveal_limit, daily_preview_limit, recorded_at)
       values ($1::date, 1, 4, now())`,
      [yesterday],
    );
    // Three days back, counted before limits were recorded with the counts: unknown, never today's.
    const before = daysBack(3);
    await db.query(
      `insert into review_exposure (person_id, day, reveals, previews) values ($1, $2::date, 1, 9)`,
      [ids['xem.xet'], before],
    );
    const table = page.locator('[data-testid=exposure-people]');
    const row = (login: string) => table.locator(`tr[data-person="${ids[login]}"]`);
    const cells = async (login: string) =>
      (await row(login).locator('th, td').allTextContents()).map((s) => s.trim());

    await page.fill('#exposure-day', yesterday);
    await expect
      .poll(() => page.textContent('[data-testid=exposure-limits]'))
      .toBe('Giới hạn mỗi ngày: 1 ảnh gốc, 4 ảnh xem trước.');
    await expect
      .poll(() => cells('gan.muc'))
      .toEqual(['Phạm Thị Gần (gan.muc)', 'Người xem xét', '1 / 1', '4 / 4', 'Đã chạm giới hạn']);
    await audit.look(page, '43-exposure-past-day');

    await page.fill('#exposure-day', before);
    await expect
      .poll(() => page.textContent('[data-testid=exposure-limits]'))
      .toBe(
        'Giới hạn mỗi ngày của ngày này không rõ: ngày này được đếm trước khi hệ thống ghi giới hạn kèm số lần xem.',
      );
    await expect
      .poll(() => cells('xem.xet'))
      .toEqual([
        'Lê Văn Xem (xem.xet)',
        'Người xem xét',
        '1 / không rõ giới hạn',
        '9 / không rõ giới hạn',
        'Không rõ giới hạn',
      ]);
    expect(await row('xem.xet').getAttribute('data-standing')).toBe('unknown');
    await audit.look(page, '44-exposure-limits-unknown');
    await page.selectOption('#language', 'en');
    await expect
      .poll(() => page.textContent('[data-testid=exposure-limits]'))
      .toBe(
        "This day's daily limits are unknown: it was counted before the limits were recorded with the counts.",
      );
    expect(await cells('xem.xet')).toEqual([
      'Lê Văn Xem (xem.xet)',
      'Reviewer',
      '1 / limit unknown',
      '9 / limit unknown',
      'Limit unknown',
    ]);
    await audit.look(page, '45-exposure-limits-unknown-english');
    await page.selectOption('#language', 'vi');
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
