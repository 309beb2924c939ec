import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { fileReport, referReport, setReportHold, withdrawReferral } from '@mod/db/reports';
import { chromiumAvailable, firstSignInAs, pageAudit } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * A citizen's report referred to an authority in the console, in Debian's Chromium with the production build served
 * by the API on a real PostgreSQL: a person of the hotline refers it to the Hà Nội police by name with a reason (the
 * report page lists the referral); the police officer finds it among the reports referred to the Hà Nội police
 * (never the report referred to the HCMC police, whose address answers not found), reads what the citizen wrote and
 * the referral, is told the contact details are the hotline's, and places a legal hold on it. Both acts are on the
 * audit record under each person's name; the hotline withdraws the referral with a reason and the officer's list is
 * empty again, but the officer's hold stays: the reports page lists it as held by the Hà Nội police, no longer
 * referred (never the HCMC police's hold), its page shows the hold alone, never what the citizen wrote, and the
 * officer releases it there. Each of the officer's reads of the report is on the audit record. More holds than a
 * page (51) are listed a page at a time ("more"), and one of the later page opens by its id. axe on each state,
 * screenshots; Vietnamese, then English. A reviewer of the Hà Nội police (an authority may hold reviewers, to review
 * cases) has no reports section, and a report's address shows it no page (the API refuses it every report route).
 */
const available = chromiumAvailable();
const audit = pageAudit();
const DESCRIPTION = 'Một tài khoản lạ nhắn tin dụ dỗ con tôi gửi ảnh';
const PASSWORD = 'một cụm mật khẩu đủ dài';

let opened: ConsoleWorld | undefined;
let hotline: Page;
let police: Page;
let referred = '';
let elsewhere = '';

const title = (page: Page) => page.locator('#page-title').textContent();

async function file(description: string, contact: boolean): Promise<string> {
  const receivedAt = new Date();
  const url = `https://referral.example/${randomBytes(4).toString('hex')}`;
  const filed = await fileReport(opened!.world.db, {
    trackingSha256: randomBytes(32).toString('hex'),
    channel: 'web',
    tenantId: 'public-reports',
    filedBy: null,
    category: 'grooming',
    seenWhere: 'Một ứng dụng trò chuyện',
    description,
    language: 'vi',
    urls: [{ href: url, key: url.replace('https://', '') }],
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + 86_400_000),
    contact: contact
      ? {
          sealed: Buffer.from('sealed under the contact key'),
          keyId: 'k1',
          consents: { contact: true, followUp: true },
          deleteAfter: new Date(receivedAt.getTime() + 30 * 86_400_000),
        }
      : null,
  });
  return filed.id;
}

/** A person of another tenant than `ops`, added by the admin as the console's admin page does. */
async function addPerson(tenantId: string, login: string, displayName: string, role: string) {
  const { key } = await createApiKey(opened!.world.db, { tenantId: 'ops', role: 'admin' });
  const made = await opened!.app.inject({
    method: 'POST',
    url: '/v1/admin/people',
    headers: { authorization: `Bearer ${key}` },
    payload: { tenantId, login, displayName, role },
  });
  expect(made.statusCode, made.body).toBe(201);
  return made.json<{ oneTimePassword: string; person: { id: string } }>();
}

describe.skipIf(!available)("a citizen's report referred to an authority in the console", () => {
  let lan: { oneTimePassword: string; person: { id: string } };
  let an: { oneTimePassword: string; person: { id: string } };
  beforeAll(async () => {
    opened = await openConsoleWorld(
      [
        { id: 'ops', kind: 'admin', role: 'admin' },
        { id: 'hotline-111', kind: 'hotline' },
        { id: 'police-hn', kind: 'authority', name: 'Công an Hà Nội' },
        { id: 'police-hcm', kind: 'authority', name: 'Công an TP. Hồ Chí Minh' },
      ],
      [],
    );
    hotline = opened.page;
    police = await (await opened.browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    audit.watch(hotline, opened.origin);
    audit.watch(police, opened.origin);
    lan = await addPerson('hotline-111', 'lan.hotline', 'Nguyễn Thị Lan', 'hotline');
    an = await addPerson('police-hn', 'an.police', 'Trần Văn An', 'authority');
    referred = await file(DESCRIPTION, true);
    elsewhere = await file('Báo cáo chuyển cho cơ quan khác', false);
    await referReport(opened.world.db, {
      reportId: elsewhere,
      authorityTenantId: 'police-hcm',
      reason: 'Địa bàn TP. Hồ Chí Minh',
      by: { actor: { kind: 'person', id: lan.person.id }, role: 'hotline', tenantId: 'hotline-111' },
      at: new Date(),
    });
  }, 180_000);
  afterAll(async () => opened?.close());

  it('lets the hotline refer a report to an authority chosen by name, with a reason', async () => {
    await hotline.goto(`${opened!.origin}/console/`);
    await firstSignInAs(hotline, 'lan.hotline', lan.oneTimePassword, PASSWORD);
    await hotline.goto(`${opened!.origin}/console/reports/${referred}`);
    await expect.poll(() => title(hotline)).toBe('Báo cáo');
    await hotline.waitForSelector('[data-testid=referrals-none]');
    const refer = hotline.locator('[data-testid=referral-form] button[type=submit]');
    // A referral needs its authority and its reason: the button waits for both.
    expect(await refer.isDisabled()).toBe(true);
    await hotline.selectOption('#referral-target', 'police-hn');
    await hotline.fill('#referral-reason', 'Nghi vấn dụ dỗ trẻ em trên địa bàn Hà Nội');
    await refer.click();
    const row = hotline.locator('[data-testid=referrals] tr[data-authority=police-hn]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-standing')).toBe('true');
    const cells = await row.locator('th, td').allTextContents();
    expect(cells.slice(0, 2)).toEqual(['Công an Hà Nội', 'Nguyễn Thị Lan']);
    expect(cells[3]).toBe('Nghi vấn dụ dỗ trẻ em trên địa bàn Hà Nội');
    expect(cells[4]).toMatch(/^Đang chuyển/);
    await hotline.waitForLoadState('networkidle');
    await audit.look(hotline, 'report-referral-hotline');
  }, 120_000);

  it("shows the authority the reports referred to it, never another authority's, and lets it hold one", async () => {
    await police.goto(`${opened!.origin}/console/`);
    await firstSignInAs(police, 'an.police', an.oneTimePassword, PASSWORD);
    await police.goto(`${opened!.origin}/console/reports`);
    await expect
      .poll(() => police.locator('[data-testid=report-summary]').textContent())
      .toBe('1 báo cáo được chuyển');
    expect(await police.locator('#report-list-title').textContent()).toBe(
      'Báo cáo được chuyển cho cơ quan của bạn',
    );
    expect(await police.locator(`[data-report-id="${referred}"]`).count()).toBe(1);
    expect(await police.locator(`[data-report-id="${elsewhere}"]`).count()).toBe(0);
    await police.waitForLoadState('networkidle');
    await audit.look(police, 'report-referred-list');

    await police.click(`[data-report-id="${referred}"] a`);
    await expect.poll(() => title(police)).toBe('Báo cáo được chuyển');
    await police.waitForSelector('[data-testid=report-hold-state]');
    expect(await police.textContent('[data-testid=report-facts]')).toContain(DESCRIPTION);
    expect(await police.textContent('[data-testid=referral-reason]')).toBe(
      'Nghi vấn dụ dỗ trẻ em trên địa bàn Hà Nội',
    );
    expect(await police.textContent('[data-testid=referred-contact]')).toMatch(/chỉ do đường dây nóng giữ/);
    expect(await police.locator('[data-testid=report-contact]').count()).toBe(0);
    await police.fill('#report-hold-reason', 'Vụ án số 45/2026, Công an Hà Nội');
    await police.click('[data-testid=report-hold] button[type=submit]');
    await expect
      .poll(() => police.locator('[data-testid=report-hold-state]').textContent())
      .toMatch(/^Đang lưu giữ/);
    const facts = await police.locator('[data-testid=report-hold-facts] dd').allTextContents();
    expect([facts[0], facts[1], facts[3]]).toEqual([
      'Trần Văn An',
      'police-hn',
      'Vụ án số 45/2026, Công an Hà Nội',
    ]);
    await police.waitForLoadState('networkidle');
    await audit.look(police, 'report-referred-held');

    await police.selectOption('#language', 'en');
    await expect.poll(() => title(police)).toBe('Referred report');
    expect(await police.textContent('[data-testid=referred-contact]')).toMatch(/kept by the hotline alone/);
    await audit.look(police, 'report-referred-held-english');
    await police.selectOption('#language', 'vi');

    // Another authority's referral: not found, and nothing of it shown.
    await police.goto(`${opened!.origin}/console/reports/${elsewhere}`);
    await expect.poll(() => police.locator('[role=alert]').count()).toBeGreaterThan(0);
    expect(await police.locator('[data-testid=report-facts]').count()).toBe(0);
    expect(await police.textContent('main')).not.toContain('Báo cáo chuyển cho cơ quan khác');

    const records = (await listAudit(opened!.world.db, { subjectId: referred })).filter(
      (r) => r.action === 'report.referred' || r.action === 'report.legal_hold_set',
    );
    expect(records.map((r) => [r.action, r.actor.id, r.role, r.tenantId, r.reason])).toEqual([
      [
        'report.referred',
        lan.person.id,
        'hotline',
        'hotline-111',
        'Nghi vấn dụ dỗ trẻ em trên địa bàn Hà Nội',
      ],
      ['report.legal_hold_set', an.person.id, 'authority', 'police-hn', 'Vụ án số 45/2026, Công an Hà Nội'],
    ]);
  }, 120_000);

  it('lets the hotline withdraw the referral with a reason; the officer reads the report no more', async () => {
    await hotline.reload();
    await expect.poll(() => title(hotline)).toBe('Báo cáo');
    const row = hotline.locator('[data-testid=referrals] tr[data-authority=police-hn]');
    await expect.poll(() => row.count()).toBe(1);
    await row.locator('textarea').fill('Chuyển nhầm đơn vị');
    await row.locator('button[type=submit]').click();
    await expect.poll(() => row.getAttribute('data-standing')).toBe('false');
    expect(await row.locator('td').last().textContent()).toMatch(/^Đã rút lại lúc .+: Chuyển nhầm đơn vị$/);
    await audit.look(hotline, 'report-referral-withdrawn');

    await police.goto(`${opened!.origin}/console/reports`);
    await expect
      .poll(() => police.locator('[data-testid=report-summary]').textContent())
      .toBe('Chưa có báo cáo nào được chuyển cho cơ quan của bạn.');
    const withdrawn = (await listAudit(opened!.world.db, { subjectId: referred })).filter(
      (r) => r.action === 'report.referral_withdrawn',
    );
    expect(withdrawn.map((r) => [r.actor.id, r.role, r.reason])).toEqual([
      [lan.person.id, 'hotline', 'Chuyển nhầm đơn vị'],
    ]);
  }, 120_000);

  it('shows the officer its hold on the report no longer referred, the hold alone, and lets it release it', async () => {
    // The HCMC police hold their report, then its referral is withdrawn too: never shown to the Hà Nội police.
    const hcm = {
      actor: { kind: 'person', id: 'hcm-officer' },
      role: 'authority',
      tenantId: 'police-hcm',
    } as const;
    const at = new Date();
    const request = { by: hcm, authorityTenantId: 'police-hcm', mayOverride: false, reason: 'Vụ án HCM', at };
    expect((await setReportHold(opened!.world.db, elsewhere, request)).ok).toBe(true);
    const back = { reportId: elsewhere, authorityTenantId: 'police-hcm', reason: 'Đã xong', by: hcm, at };
    expect((await withdrawReferral(opened!.world.db, back)).ok).toBe(true);

    await police.goto(`${opened!.origin}/console/reports`);
    const row = police.locator(`[data-testid=held-reports] tr[data-report-id="${referred}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await police.locator('#held-list-title').textContent()).toBe(
      'Báo cáo cơ quan bạn đang lưu giữ, không còn được chuyển',
    );
    expect(await row.locator('th').textContent()).toContain('Do cơ quan bạn lưu giữ, không còn được chuyển');
    expect(await row.locator('td').nth(2).textContent()).toBe('Vụ án số 45/2026, Công an Hà Nội');
    expect(await police.locator(`[data-report-id="${elsewhere}"]`).count()).toBe(0);
    await police.waitForLoadState('networkidle');
    await audit.look(police, 'report-held-list');

    await row.locator('a').click();
    await expect.poll(() => title(police)).toBe('Báo cáo do cơ quan bạn lưu giữ');
    await police.waitForSelector('[data-testid=report-hold-state]');
    expect(await police.textContent('[data-testid=held-mark]')).toMatch(/^Do cơ quan bạn lưu giữ, không còn/);
    const main = (await police.textContent('main')) ?? '';
    expect(main).toContain('Vụ án số 45/2026, Công an Hà Nội');
    expect(main).not.toContain(DESCRIPTION);
    expect(main).not.toContain('referral.example');
    await police.waitForLoadState('networkidle');
    await audit.look(police, 'report-held-only');
    await police.selectOption('#language', 'en');
    await expect.poll(() => title(police)).toBe('Report held by your authority');
    await audit.look(police, 'report-held-only-english');
    await police.selectOption('#language', 'vi');

    await police.fill('#report-hold-reason', 'Đã chuyển hồ sơ sang Viện kiểm sát');
    await police.click('[data-testid=report-hold] button[type=submit]');
    await police.waitForSelector('[data-testid=held-released]');
    expect(await police.textContent('[data-testid=report-hold-state]')).toMatch(/^Không lưu giữ/);
    expect(await police.locator('#report-hold-reason').count()).toBe(0);
    await audit.look(police, 'report-held-released');

    await police.goto(`${opened!.origin}/console/reports`);
    await expect
      .poll(() => police.locator('[data-testid=report-summary]').textContent())
      .toBe('Chưa có báo cáo nào được chuyển cho cơ quan của bạn.');
    expect(await police.locator('[data-testid=held-reports]').count()).toBe(0);
    const records = (await listAudit(opened!.world.db, { subjectId: referred })).filter(
      (r) => r.action === 'report.legal_hold_released' || r.action === 'referred_report.read',
    );
    // The officer's reads while it stood referred (the page, then its reload after the hold), then the release.
    expect(records.map((r) => [r.action, r.actor.id, r.tenantId]).at(-1)).toEqual([
      'report.legal_hold_released',
      an.person.id,
      'police-hn',
    ]);
    expect(records.at(-1)?.reason).toBe('Đã chuyển hồ sơ sang Viện kiểm sát');
    const reads = records.filter((r) => r.action === 'referred_report.read');
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads.map((r) => `${r.actor.id} ${r.role} ${r.tenantId}`))).toEqual(
      new Set([`${an.person.id} authority police-hn`]),
    );
  }, 120_000);

  it('lists more holds than a page a page at a time, and opens a hold of a later page', async () => {
    // 51 reports the Hà Nội police hold by id, never referred to them, a minute apart: one more than a page.
    const ids = await Promise.all(Array.from({ length: 51 }, (_, i) => file(`Báo cáo lưu giữ ${i}`, false)));
    await opened!.world.db.query(
      `update reports r set hold_by = $2, hold_authority_tenant_id = 'police-hn', hold_reason = 'Vụ án số 51/2026',
         hold_at = now() - h.n * interval '1 minute'
       from unnest($1::uuid[]) with ordinality as h(id, n) where r.id = h.id`,
      [ids, an.person.id],
    );
    const oldest = ids.at(-1)!;
    await police.goto(`${opened!.origin}/console/reports`);
    const rows = police.locator('[data-testid=held-reports] tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await police.textContent('[data-testid=held-summary]')).toBe(
      'Đang hiện 50 báo cáo đầu tiên do cơ quan bạn lưu giữ, không còn được chuyển (còn nữa): chỉ thấy lệnh lưu giữ.',
    );
    // Newest hold first; the oldest is on the next page.
    expect(await rows.first().getAttribute('data-report-id')).toBe(ids[0]);
    expect(await police.locator(`[data-report-id="${oldest}"]`).count()).toBe(0);
    await police.waitForLoadState('networkidle');
    await audit.look(police, 'report-held-first-page');
    await police.selectOption('#language', 'en');
    await expect
      .poll(() => police.textContent('[data-testid=held-summary]'))
      .toBe(
        'The first 50 reports held by your authority, no longer referred (there are more): only the hold is shown.',
      );
    expect(await police.textContent('[data-testid=held-more]')).toBe('More held reports');
    await audit.look(police, 'report-held-first-page-english');
    await police.selectOption('#language', 'vi');

    await police.click('[data-testid=held-more]');
    await expect.poll(() => rows.count()).toBe(51);
    expect(await rows.last().getAttribute('data-report-id')).toBe(oldest);
    expect(await police.textContent('[data-testid=held-summary]')).toBe(
      '51 báo cáo do cơ quan bạn lưu giữ, không còn được chuyển: chỉ thấy lệnh lưu giữ.',
    );
    expect(await police.locator('[data-testid=held-more]').count()).toBe(0);
    const listed = await Promise.all((await rows.all()).map((r) => r.getAttribute('data-report-id')));
    expect(new Set(listed)).toEqual(new Set(ids));
    await audit.look(police, 'report-held-last-page');

    // A hold of the second page opens by its own id: the hold alone.
    await rows.last().locator('a').click();
    await expect.poll(() => title(police)).toBe('Báo cáo do cơ quan bạn lưu giữ');
    expect(await police.textContent('[data-testid=held-mark]')).toMatch(/^Do cơ quan bạn lưu giữ, không còn/);
    expect(await police.textContent('main')).toContain('Vụ án số 51/2026');
  }, 180_000);

  it("shows a reviewer of an authority tenant no reports section, and a report's address no page of theirs", async () => {
    const binh = await addPerson('police-hn', 'binh.reviewer', 'Lê Văn Bình', 'reviewer');
    const reviewer = await (
      await opened!.browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    audit.watch(reviewer, opened!.origin);
    await reviewer.goto(`${opened!.origin}/console/`);
    await firstSignInAs(reviewer, 'binh.reviewer', binh.oneTimePassword, PASSWORD);
    await reviewer.waitForSelector('nav a[href$="/review"]');
    const anchors = await reviewer.locator('nav a').all();
    const links = await Promise.all(anchors.map(async (a) => (await a.getAttribute('href')) ?? ''));
    expect(links.some((h) => h.includes('/reports'))).toBe(false);
    // The hotline's person still has it.
    expect(await hotline.locator('nav a[href$="/reports"]').count()).toBe(1);

    await reviewer.goto(`${opened!.origin}/console/reports/${referred}`);
    await expect.poll(() => title(reviewer)).toBe('Không tìm thấy trang');
    await reviewer.goto(`${opened!.origin}/console/reports`);
    await expect.poll(() => title(reviewer)).toBe('Không tìm thấy trang');
    expect(await reviewer.textContent('main')).not.toContain(DESCRIPTION);
    await audit.look(reviewer, 'report-authority-reviewer');
  }, 120_000);

  it('found no serious accessibility problem, no request to another origin, no refused script', () => {
    expect(Object.keys(audit.findings)).toHaveLength(13);
    expect(audit.statesWithFindings()).toEqual({});
    expect(audit.pageProblems()).toEqual([]);
  });
});
